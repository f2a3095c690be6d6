"""Corridors: each route's volumes against its capacity and targets, milestones, and the energy context.

One corridor is chosen above four views in tabs kept in the URL (?corridors_view=...): only the open tab
runs and is drawn."""
import streamlit as st

from components import corridors, transforms, ui

years = ui.selected_years()
ui.page_title("Corridors", years, "Throughput against capacity on the routes across the Caspian: actual "
              "values solid and filled, planned, expected and target values hollow and dashed.")

volumes = ui.table("corridor_volumes")
choice = None
if volumes is not None:
    routes = ui.load("routes")
    routes = ui.table("routes") if isinstance(routes, ui.DataError) else routes
    shown = corridors.normalise_units(transforms.in_years(volumes, years))
    names = corridors.corridor_names(volumes, routes)
    if shown.empty:
        st.info(f"No corridor figures in {years.label()}. Widen the year range in the sidebar.")
    else:
        counts = shown["corridor"].value_counts()
        choice = st.selectbox("Corridor", list(counts.index), key="corridors.corridor",
                              format_func=lambda c: f"{names[c]} ({counts[c]} figures)",
                              help="The route shown in the Volumes and Milestones tabs.")

volume_tab, milestone_tab, glance, energy_tab = ui.view_tabs(
    "corridors", ["Volumes", "Milestones", "All corridors at a glance", "Energy context"])

if choice is not None and volume_tab.open:
    with volume_tab:
        rows = shown[shown["corridor"] == choice]
        ui.chart(corridors.corridor_figure, ui.cite(rows), names[choice], transforms.span_label(rows, years),
                 ui.source_text(rows), key="corridors.volumes")
        with st.expander(f"Table: the {len(rows)} figures for {names[choice]}, with sources"):
            ui.table_view(rows[["year", "period", "metric", "status", "value", "unit", "cargo", "source_id",
                                "note"]], column_config={"year": st.column_config.NumberColumn("year", format="%d")})
        ui.download_csv(rows, f"corridor_volumes_{choice}", years, key="dl.corridor_volumes")
        ui.source_footer(rows)

if choice is not None and milestone_tab.open:
    with milestone_tab:
        events = ui.table("events")
        agreements = ui.table("agreements")
        if events is not None and agreements is not None:
            route_id = choice if routes is not None and choice in set(routes["route_id"]) else None
            marks = corridors.milestones(transforms.in_years(events, years), transforms.in_years(agreements, years),
                                         route_id)
            if marks.empty:
                st.info(f"No dated milestones or agreements for {names[choice]} in {years.label()}.")
            else:
                period = transforms.span_label(marks.assign(year=marks["date_start"].dt.year), years)
                ui.chart(corridors.milestone_figure, ui.cite(marks), names[choice], period, ui.source_text(marks),
                         key="corridors.milestones")
                with st.expander(f"Table: the {len(marks)} milestones and agreements, with sources"):
                    ui.table_view(marks.drop(columns="date_start"))
                ui.download_csv(marks.drop(columns="date_start"), f"milestones_{choice}", years,
                                key="dl.milestones")
                ui.source_footer(marks)

if choice is not None and glance.open:
    with glance:
        ui.table_view(corridors.corridor_summary(shown, names))
        usage = corridors.utilisation(shown)
        if not usage.empty:
            st.markdown("**Utilisation against capacity** (computed by us: actual throughput ÷ the capacity "
                        "stated for the same route and unit in that year or the latest year before)")
            ui.table_view(usage.assign(corridor=usage["corridor"].map(names)))
            ui.download_csv(usage, "corridor_utilisation", years, key="dl.corridor_utilisation")
        ui.source_footer(shown)

indicators = ui.table("indicators", where=energy_tab) if energy_tab.open else None
if indicators is not None:
    with energy_tab:
        energy = transforms.in_years(indicators[indicators["topic"].isin(["energy", "transport"])], years,
                                     keep_missing=True)
        if energy.empty:
            st.info("No energy figures in the selected years.")
        else:
            ui.table_view(energy[["topic", "label", "country", "year", "period", "value", "unit", "source_id",
                                  "note"]], column_config={"year": st.column_config.NumberColumn("year", format="%d")})
            ui.download_csv(energy, "indicators_energy", years, key="dl.energy")
            side = corridors.disagreements_side_by_side(energy)
            if not side.empty:
                st.markdown("**Where sources give different figures** (one column per source)")
                ui.table_view(side)
            ui.source_footer(energy)
