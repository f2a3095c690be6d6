"""Map: every route in the data on an offline map, coloured by mode, styled by status, growing with the years."""
import streamlit as st

from components import legend, maps, ui

years = ui.selected_years()
ui.page_title("Map of routes", years, "Pipelines, railways, ferry lines and multimodal corridors across the "
              "Caspian. Routes not yet open by the end of the selected years are grey.")

routes = ui.table("routes")
points = ui.table("route_points")
if routes is not None and points is not None:
    modes = st.pills("Modes", list(maps.MODES), selection_mode="multi", default=list(maps.MODES),
                             format_func=lambda m: maps.MODE_LABELS[m], key="map.modes")
    statuses = st.pills("Status", list(maps.STATUSES), selection_mode="multi", default=list(maps.STATUSES),
                                format_func=lambda s: maps.STATUS_STYLE[s]["label"], key="map.statuses")
    selection = ui.map_selection(modes, statuses)  # rows, downloads and source line: once per selection
    shown = selection["routes"]
    if shown.empty:
        st.info("No routes match these layers. Switch a mode or status back on.")
    else:
        deck = ui.network_deck(years.end, modes, statuses)
        st.pydeck_chart(deck, height=620, key="map.deck")
        st.image(legend.legend_svg())
        not_open = shown[shown["opened_year"] > years.end]
        if not not_open.empty:
            st.caption(f"Grey: {len(not_open)} route(s) opened after {years.end}.")
        st.caption(selection["source_line"])

        table = shown[["route_id", "name", "mode", "status", "opened_year", "length_km", "capacity", "capacity_unit",
                       "countries", "geometry_accuracy", "geometry_note", "source_id"]]
        # Collapsed by default: a data grid drawn beside the WebGL map doubled the page's draw time (bench/).
        with st.expander(f"The {len(table)} routes as a table (how accurate each line is, sources)"):
            ui.table_view(table, column_config={
                "opened_year": st.column_config.NumberColumn("opened", format="%d")})
        downloads = st.columns(3)
        with downloads[0]:
            ui.download_bytes(selection["routes_csv"], "routes", years, "Routes (CSV)", key="dl.routes")
        with downloads[1]:
            ui.download_bytes(selection["points_csv"], "route_points", years, "Waypoints (CSV)",
                              key="dl.route_points")
        with downloads[2]:
            ui.download_bytes(selection["geojson"], "routes", years, "Routes (GeoJSON)", key="dl.routes_geojson",
                              mime="application/geo+json", extension="geojson")
