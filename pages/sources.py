"""Sources & data: every source with its citation, every table explained, the discrepancies, one zip of it all."""
import streamlit as st

from components import provenance, schema, ui
from components.loading import DataError

years = ui.selected_years()
ui.page_title("Sources & data", years, "Where every number comes from, what each table holds, and where the "
              "sources disagree. The year range does not filter this page.")

tables = ui.all_tables()
loaded = {name: frame for name, frame in tables.items() if not isinstance(frame, DataError)}

st.subheader("Sources")
sources = ui.table("sources")
if sources is not None:
    counts = ui.source_counts()
    listing = sources.merge(counts, on="source_id", how="left")
    for kind, label in (("article", "Articles"), ("primary", "Primary sources the articles cite")):
        rows = listing[listing["kind"] == kind]
        st.markdown(f"**{label}** ({len(rows)})")
        ui.table_view(rows[["source_id", "authors", "title", "publisher", "year", "doi_or_url", "cited_in", "rows",
                            "tables"]], column_config={
            "doi_or_url": st.column_config.LinkColumn("DOI or URL"),
            "year": st.column_config.NumberColumn("year", format="%d"),
            "rows": st.column_config.NumberColumn("rows backed", help="Rows in all tables citing this source")})
    st.caption("URLs are given as the articles cite them; many are old and may no longer resolve.")

st.subheader("Tables")
ui.table_view(ui.tables_overview())
for result in tables.values():
    if isinstance(result, DataError):
        ui.show_data_error(result)
titles = {r["name"]: r.get("title", r["name"]) for r in schema.package()["resources"]}
choice = st.selectbox("Explain the columns of", list(tables), key="sources.table",
                      format_func=lambda n: f"{n}.csv — {titles.get(n, n)}")
meta = schema.table_meta(choice)
st.caption(ui.plain(meta.get("description", "")))
ui.table_view(provenance.columns_explained(meta))

st.subheader("Where the sources disagree")
discrepancies = ui.table("discrepancies")
if discrepancies is not None:
    st.caption("Every version is kept in its table with its own source; nothing here is silently resolved.")
    ui.table_view(discrepancies)
    ui.download_csv(discrepancies, "discrepancies", years, key="dl.discrepancies")

st.subheader("Download everything")
st.download_button("Download all data (zip)", data=ui.data_bundle(), file_name="az-kz-relations-data.zip",
                   mime="application/zip", on_click="ignore", key="dl.all", icon=":material/folder_zip:")
st.caption(f"{len(loaded)} tables as formula-safe CSV, plus the data dictionary (datapackage.json) and README. "
           "Full tables: the year range does not apply to this archive.")
