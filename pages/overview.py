"""Overview: headline figures for the selected years and one timeline of trade and diplomacy together."""
import pandas as pd
import streamlit as st

from components import charts, transforms, ui

years = ui.selected_years()
ui.page_title("Azerbaijan–Kazakhstan relations", years,
              "Trade, visits, agreements and Caspian corridors in one view; every figure traces to its source.")

trade = ui.table("trade_turnover")
visits = ui.table("visits")
agreements = ui.table("agreements")
volumes = ui.table("corridor_volumes")

annual = transforms.annual_turnover(transforms.in_years(trade, years)) if trade is not None else None
shown_visits = transforms.in_years(visits, years) if visits is not None else None
shown_agreements = transforms.in_years(agreements, years) if agreements is not None else None

metrics = st.columns(4)
with metrics[0]:
    latest = transforms.latest_turnover(annual) if annual is not None else None
    if latest:
        delta = None if latest["delta"] is None else f"{latest['delta']:+,.1f} vs {latest['base_year']}"
        st.metric(f"Trade turnover {latest['year']}, million USD", f"{latest['value']:,.1f}", delta,
                  help="Latest full-year total in the selected range (million US dollars); part-year figures are "
                  "excluded. The change is against the previous year with a full-year figure.")
    else:
        st.metric("Trade turnover, million USD", "—", help="No full-year figure in the selected range.")
with metrics[1]:
    if shown_visits is not None:
        counts = transforms.visit_counts(shown_visits)
        st.metric("Visits and meetings", f"{len(shown_visits)}",
                  help="Rows in the visits table for the selected range.")
        st.caption(f"AZ → KZ: {counts['AZ → KZ']} · KZ → AZ: {counts['KZ → AZ']} · elsewhere: {counts['elsewhere']}")
with metrics[2]:
    if shown_agreements is not None:
        st.metric("Agreements and documents", f"{len(shown_agreements)}")
        top = shown_agreements["domain"].value_counts()
        if not top.empty:
            st.caption("Most: " + ", ".join(f"{d} ({n})" for d, n in top.head(3).items()))
with metrics[3]:
    top_volume = transforms.largest_volume(transforms.in_years(volumes, years)) if volumes is not None else None
    if top_volume is not None:
        unit = {"million t": "Mt"}.get(top_volume["unit"], top_volume["unit"])
        st.metric(f"Top corridor volume, {int(top_volume['year'])}", f"{top_volume['value']:,.4g} {unit}",
                  help=f"Largest actual throughput in the selected range ({top_volume['unit']}; Mt = million "
                       f"tonnes): {top_volume['corridor']}.")
        routes = ui.load("routes")
        names = dict(zip(routes["route_id"], routes["name"])) if isinstance(routes, pd.DataFrame) else {}
        st.caption(f"{ui.plain(names.get(top_volume['corridor'], top_volume['corridor']))}, "
                   f"{ui.plain(top_volume['period'])}")
    else:
        st.metric("Top corridor volume", "—", help="No actual throughput figure in the selected range.")

if annual is not None and shown_visits is not None and shown_agreements is not None:
    wide = transforms.turnover_table(annual)
    marks = ui.cite(transforms.timeline_marks(shown_visits, shown_agreements))
    if wide.empty and marks.empty:
        st.info(f"Nothing to draw in {years.label()}. Widen the year range in the sidebar.")
    else:
        source = ui.source_text(annual, marks)
        period = transforms.span_label(pd.concat([wide[["year"]], marks[["year"]]]), years)
        ui.chart(charts.combined_timeline, wide, marks, period, source, key="overview.timeline")
        st.caption("Triangles point the way the visit went; squares are signed documents; hover for what "
                   "happened and its source. Part-year trade figures are on the Trade page.")
        with st.expander("Timeline as a table"):
            table = marks[["date", "lane", "label", "detail", "cite"]]
            ui.table_view(table)
            ui.download_csv(table, "timeline", years)
        ui.source_footer(annual, marks)
