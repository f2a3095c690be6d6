"""Chronology: every event, visit, document and commission session on one timeline, with filters kept in the
URL and the disagreements between sources beside the rows they concern."""

import streamlit as st

from components import ui
from components.views import chronology

_ = ui._
ui.page_title(
    _("Chronology"),
    _("Everything dated in the data on one timeline: events, visits, documents and commission sessions, by topic."),
)
view = ui.view(
    chronology.chronology,
    topics=ui.bound_many("topic"),
    countries=ui.bound_many("country"),
    routes=ui.bound_many("route"),
    kinds=ui.bound_many("kind"),
    query=ui.bound("cq"),
)
if ui.guard(view):
    first, second = st.columns(2)
    with first:
        ui.multiselect(_("Topic"), view.topics, "topic", _("Every topic"))
        ui.multiselect(_("Country"), view.countries, "country", _("Every country"))
    with second:
        ui.multiselect(_("Route or facility"), view.routes, "route", _("Every route"))
        ui.multiselect(_("Kind"), view.kinds, "kind", _("Every kind"))
    ui.search_box(_("Search the chronology"), "cq", _("e.g. Астана, BTC, ferry"))
    st.caption(
        ui.text(
            ui.ngettext("{n} of {total} entry shown", "{n} of {total} entries shown", view.total).format(
                n=view.count, total=view.total
            )
        )
    )
    if view.chart is None:
        st.info(ui.text(view.empty), icon=":material/info:")
    else:
        ui.chart(view.chart)
    with ui.table(
        ui.ngettext(
            "Table: {n} entry, with sources and disagreements",
            "Table: the {n} entries, with sources and disagreements",
            view.count,
        ).format(n=view.count),
        "chronology.table",
        expanded=view.count <= 40,
    ) as table:
        if table.open:  # the grid is sent only once the table is open (its rows were a third of the page's bytes)
            ui.grid(view.grid, _("Chronology"))
    ui.download(view.download)
    ui.footer(view.source)
