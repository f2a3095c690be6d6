"""Corridors: every route and facility, chosen above four views in tabs kept in the URL (volumes, milestones,
all at a glance, the energy context)."""

import streamlit as st

from components import ui
from components.views import corridors

_ = ui._
ui.page_title(
    _("Corridors"),
    _(
        "Pipelines, railways, ferry lines, ports and multimodal corridors across the "
        "Caspian: throughput against capacity, milestones and documents."
    ),
)
picker = ui.view(corridors.choice, corridor=ui.bound("corridor"))
chosen = None
if ui.guard(picker):
    chosen = ui.choice(
        _("Route or facility"),
        list(picker.corridors),
        "corridor",
        help=_("Every route and facility in the data, with how many figures and milestones each has."),
    )
tabs = ui.view_tabs(
    "corridors",
    [
        ("volumes", _("Volumes")),
        ("milestones", _("Milestones")),
        ("glance", _("All corridors at a glance")),
        ("energy", _("Energy context")),
    ],
)

if chosen and tabs[0].open:
    with tabs[0]:
        view = ui.view(corridors.volumes, corridor=chosen)
        if ui.guard(view):
            ui.chart(view.chart)
            st.caption(
                _(
                    "Actual values solid and filled; planned, expected and target values hollow and dashed, at the "
                    "year they are for (the hover says when they were stated); a vertical bar is a range."
                )
            )
            with ui.table(
                ui.ngettext(
                    "Table: {n} figure, with its source", "Table: the {n} figures, with sources", view.count
                ).format(n=view.count),
                "volumes.table",
            ):
                ui.grid(view.grid, _("Volume figures"))
            ui.download(view.download)
            if view.disagreements.num_rows:
                st.subheader(_("Where the sources disagree"))
                ui.grid(view.disagreements, _("Where the sources disagree"))
            ui.footer(view.source)

if chosen and tabs[1].open:
    with tabs[1]:
        view = ui.view(corridors.milestones, corridor=chosen)
        if ui.guard(view):
            ui.chart(view.chart)
            with ui.table(
                ui.ngettext(
                    "Table: {n} milestone or document, with its source",
                    "Table: the {n} milestones and documents, with sources",
                    view.count,
                ).format(n=view.count),
                "milestones.table",
            ):
                ui.grid(view.grid, _("Milestones"))
            ui.download(view.download)
            ui.footer(view.source)

if tabs[2].open:
    with tabs[2]:
        view = ui.view(corridors.glance)
        if ui.guard(view):
            ui.grid(view.summary, _("All corridors at a glance"))
            ui.download(view.download)
            st.markdown(
                "**"
                + _("Utilisation against capacity")
                + "** "
                + _(
                    "(computed by us: actual annual throughput of the whole route ÷ the capacity named in the last "
                    "column: of the same year where one is stated, else the latest before, else the earliest after)"
                )
            )
            ui.grid(view.utilisation, _("Utilisation"))
            ui.download(view.download_utilisation)
            if view.without_figures:
                st.caption(
                    ui.text(_("No volume figures in these years: {list}.").format(list=", ".join(view.without_figures)))
                )
            ui.footer(view.source)

if tabs[3].open:
    with tabs[3]:
        view = ui.view(corridors.energy, indicator=ui.bound("energy_figure"))
        if ui.guard(view):
            if view.choices:
                ui.choice(_("Figure over the years"), list(view.choices), "energy_figure")
                if view.chart:
                    ui.chart(view.chart)
            ui.grid(view.grid, _("Energy and transport figures"))
            ui.download(view.download)
            if view.disagreements.num_rows:
                st.subheader(_("Where the sources disagree"))
                ui.grid(view.disagreements, _("Where the sources disagree"))
            ui.footer(view.source)
