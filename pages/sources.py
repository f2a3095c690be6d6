"""Sources & data: every source with its citation, every table explained, the disagreements, how to cite,
the data by address and one zip of it all."""

import streamlit as st

from components import ui
from components.views import sources

_ = ui._
ui.page_title(
    _("Sources & data"),
    _(
        "Where every number comes from, what each table holds, and where the sources "
        "disagree. The year range does not filter this page."
    ),
)
view = ui.view_all_years(sources.sources, base_url=ui.base_url())
if ui.guard(view):
    st.header(_("Sources"))
    for part in view.lists:
        st.subheader(ui.text(f"{part.heading} ({part.count})"))
        ui.grid(part.grid, part.heading)
    st.caption(
        _("Addresses are given as the articles cite them or as the pages were found; old ones may no longer resolve.")
    )
    st.header(_("Tables"))
    ui.grid(view.tables, _("Tables"))
    for error in view.problems:
        ui.data_error(error)
    chosen = ui.choice(_("Explain the columns of"), [(n, f"{n}.csv — {t}") for n, t in view.table_names], "table")
    ui.grid(ui.view_all_years(sources.columns, table=chosen), _("Columns of {table}").format(table=f"{chosen}.csv"))
    st.header(_("Where the sources disagree"))
    if view.discrepancies is not None:
        st.caption(_("Every version is kept in its table with its own source; nothing here is silently resolved."))
        ui.grid(view.discrepancies, _("Where the sources disagree"))
        ui.download(view.discrepancies_download)
    if view.names is not None:
        with st.expander(
            ui.ngettext(
                "Names in four languages ({n} name)", "Names in four languages ({n} names)", view.names.num_rows
            ).format(n=view.names.num_rows)
        ):
            st.caption(
                _(
                    "How countries, routes, people, places and coded values are named in each language; other "
                    "spellings are what a search also finds."
                )
            )
            ui.grid(view.names, _("Names in four languages"))
            ui.download(view.names_download)
    st.header(_("Cite this"))
    st.code(view.citation, language=None, wrap_lines=True)
    st.header(_("Data by address"))
    st.caption(
        _(
            "Every table is served read-only at a stable address (formula-safe CSV, always the validated "
            "version), so analysis code can read it directly:"
        )
    )
    ui.grid(view.addresses, _("Data by address"))
    example = view.addresses.rows.column(1)[0].as_py() if view.addresses.num_rows else ""
    st.code(f'import pandas as pd\ntrade = pd.read_csv("{example}")', language="python", wrap_lines=True)
    st.code(f'trade <- read.csv("{example}")', language="r", wrap_lines=True)
    st.header(_("Download everything"))
    ui.download(view.bundle)
    st.caption(
        _(
            "Every valid table as formula-safe CSV, with datapackage.json (the data dictionary), README, "
            "CITATION and LICENSE. Full tables: the year range does not apply to this archive."
        )
    )
