"""Diaspora: Azerbaijanis in Kazakhstan over time, by kind of count, with the spread where sources differ."""
import streamlit as st

from components import charts, transforms, ui

years = ui.selected_years()
ui.page_title("Diaspora", years, "Ethnic Azerbaijanis living in Kazakhstan: census counts, other official "
              "figures and estimates, kept apart.")

diaspora = ui.table("diaspora")
if diaspora is not None:
    shown = transforms.in_years(diaspora, years)
    az_in_kz = shown[shown["group"] == "az_in_kz"]
    if shown.empty:
        st.info(f"No population figures in {years.label()}. Widen the year range in the sidebar.")
    else:
        if not az_in_kz.empty:
            ui.chart(charts.diaspora_figure, ui.cite(az_in_kz), transforms.span_label(az_in_kz, years),
                     ui.source_text(az_in_kz), key="diaspora.series")
            st.caption("Filled circles joined by a line are census counts; squares are other official figures; "
                       "hollow diamonds are estimates (a bar shows a range given by one source).")
        ranges = transforms.diaspora_ranges(shown)
        disputed = ranges[ranges["figures"] > 1]
        if not disputed.empty:
            st.markdown("**Years with more than one figure** — the spread between sources")
            ui.table_view(disputed)
        with st.expander(f"Table: the {len(shown)} population figures, with sources"):
            ui.table_view(shown[["group", "year", "population", "population_high", "measure", "source_id", "note"]],
                          column_config={"year": st.column_config.NumberColumn("year", format="%d")})
        ui.download_csv(shown.drop(columns=[c for c in ("cite",) if c in shown]), "diaspora", years)
        ui.source_footer(shown)

indicators = ui.table("indicators")
if indicators is not None:
    history = indicators[indicators["topic"] == "diaspora"]
    history = transforms.in_years(history, years, keep_missing=True)
    if not history.empty:
        st.subheader("Other diaspora figures")
        ui.table_view(history[["indicator", "label", "year", "period", "value", "unit", "source_id", "note"]])
        ui.download_csv(history, "indicators_diaspora", years, key="dl.indicators_diaspora")
        ui.source_footer(history)
