"""Overview: headline figures for the selected years and one timeline of trade and diplomacy together."""

import streamlit as st

from components import ui
from components.views import overview

_ = ui._
ui.page_title(
    _("Azerbaijan–Kazakhstan relations"),
    _("Trade, visits, agreements and Caspian corridors in one view; every figure traces to its source."),
)

view = ui.view(overview.overview)
if ui.guard(view):
    ui.stale_notice(overview.overview.tables)
    ui.metrics(view.metrics)
    if ui.guard(view.timeline):
        ui.chart(view.timeline)
        st.caption(
            _(
                "Lines are annual totals, one per reporter, broken where a year has no figure; triangles point "
                "the way a visit went; squares are documents signed; an open marker on a line is a date known "
                "only to the month or year. Part-year trade figures are on the Trade page."
            )
        )
    with ui.table(
        ui.ngettext("Timeline as a table ({n} row)", "Timeline as a table ({n} rows)", view.table.num_rows).format(
            n=view.table.num_rows
        ),
        "overview.table",
    ):
        ui.grid(view.table, _("Timeline as a table"))
    ui.download(view.download)
    ui.footer(view.source)
