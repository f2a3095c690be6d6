"""Map: every route on an offline map, coloured by kind, styled by status, greyed until it opened."""

import streamlit as st

from components import ui
from components.figures import maps
from components.views import map as route_map

_ = ui._
ui.page_title(
    _("Map of routes"),
    _(
        "Pipelines, railways, ferry lines and multimodal corridors across the Caspian. "
        "Routes not yet open by the end of the selected years are grey."
    ),
)
names = ui.view(route_map.names)
if ui.guard(names):
    modes = ui.pills(_("Kinds of route"), maps.MODES, names.modes, "modes")
    statuses = ui.pills(_("Status"), maps.STATUSES, names.statuses, "status")
    view = ui.view(route_map.route_map, modes=modes, statuses=statuses, phone=ui.is_phone())
    if ui.guard(view):
        st.pydeck_chart(view.deck, height=view.height, key="map.deck", alt=_("Map of the routes across the Caspian"))
        st.html(view.legend)
        if view.not_open:
            st.caption(ui.text(view.not_open))
        with ui.table(
            ui.ngettext(
                "{n} route as a table (how accurate its line is, sources)",
                "The {n} routes as a table (how accurate each line is, sources)",
                view.count,
            ).format(n=view.count),
            "map.table",
        ):
            ui.grid(view.grid, _("Routes"))
        for column, item in zip(st.columns(4), view.downloads):
            with column:
                ui.download(item)
        ui.footer(view.source)
