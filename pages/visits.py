"""Visits & agreements: who went where, when and why; documents signed by domain over time; the sessions of
the intergovernmental commission. Filters live in the URL, so a copied link reopens the same view."""

import streamlit as st

from components import ui
from components.views import visits

_ = ui._
ui.page_title(
    _("Visits & agreements"),
    _(
        "Leaders' visits between Baku and Astana, meetings elsewhere, the "
        "documents signed and the intergovernmental commission."
    ),
)
tabs = ui.view_tabs(
    "visits",
    [
        ("visits", _("Visits and meetings")),
        ("documents", _("Agreements and documents")),
        ("commission", _("Intergovernmental commission")),
    ],
)

if tabs[0].open:
    with tabs[0]:
        view = ui.view(visits.visits, leaders=ui.bound_many("leader"), types=ui.bound_many("type"), query=ui.bound("q"))
        if ui.guard(view):
            left, middle, right = st.columns(3)
            with left:
                ui.multiselect(_("Visitor"), view.leaders, "leader", _("Everyone"))
            with middle:
                ui.multiselect(_("Kind of visit"), view.types, "type", _("Every kind"))
            with right:
                ui.search_box(_("Search visits"), "q", _("e.g. Astana, oil, 2005"))
            st.caption(ui.text(view.caption))
            if view.chart is None:
                st.info(ui.text(view.empty), icon=":material/info:")
            else:
                ui.chart(view.chart)
            with ui.table(
                ui.ngettext(
                    "Table: {n} visit or meeting, with its source",
                    "Table: the {n} visits and meetings, with sources",
                    view.count,
                ).format(n=view.count),
                "visits.table",
            ):
                ui.grid(view.grid, _("Visits and meetings"))
            ui.download(view.download)
            if view.disagreements.num_rows:
                st.subheader(_("Where the sources disagree"))
                ui.grid(view.disagreements, _("Where the sources disagree"))
            ui.footer(view.source)

if tabs[1].open:
    with tabs[1]:
        view = ui.view(visits.documents, domains=ui.bound_many("domain"), query=ui.bound("dq"))
        if ui.guard(view):
            left, right = st.columns(2)
            with left:
                ui.multiselect(_("Domain"), view.domains, "domain", _("Every domain"))
            with right:
                ui.search_box(_("Search documents"), "dq", _("e.g. Caspian, oil"))
            if view.chart is None:
                st.info(ui.text(view.empty), icon=":material/info:")
            else:
                ui.chart(view.chart)
            with ui.table(
                ui.ngettext(
                    "Table: {n} document, with its source", "Table: the {n} documents, with sources", view.count
                ).format(n=view.count),
                "documents.table",
            ):
                ui.grid(view.grid, _("Documents"))
            ui.download(view.download)
            ui.footer(view.source)

if tabs[2].open:
    with tabs[2]:
        view = ui.view(visits.commission)
        if ui.guard(view):
            st.caption(
                _(
                    "The Azerbaijan–Kazakhstan intergovernmental commission on economic cooperation: the "
                    "sessions on record, with their co-chairs and the documents signed."
                )
            )
            ui.grid(view.grid, _("Commission sessions"))
            ui.download(view.download)
            ui.footer(view.source)
