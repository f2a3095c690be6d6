"""Diaspora: Azerbaijanis in Kazakhstan over time, by kind of count, with the spread where sources differ."""

import streamlit as st

from components import ui
from components.views import diaspora

_ = ui._
ui.page_title(
    _("Diaspora"),
    _(
        "Ethnic Azerbaijanis living in Kazakhstan: census counts, other official figures, "
        "estimates and statements, kept apart."
    ),
)
view = ui.view(diaspora.diaspora)
if ui.guard(view):
    if view.chart:
        ui.chart(view.chart)
        st.caption(
            _(
                "Filled circles joined by a line are census counts; squares are other official figures; hollow "
                "diamonds are estimates and hollow stars statements by officials; a vertical bar shows a range a "
                "source gives; a triangle a bound (more than / less than)."
            )
        )
    if view.spread.num_rows:
        st.subheader(_("Years with more than one figure"))
        ui.grid(view.spread, _("Years with more than one figure"))
    with ui.table(
        ui.ngettext(
            "Table: {n} population figure, with its source",
            "Table: the {n} population figures, with sources",
            view.count,
        ).format(n=view.count),
        "diaspora.table",
    ):
        ui.grid(view.grid, _("Population figures"))
    ui.download(view.download)
    if view.disagreements.num_rows:
        st.subheader(_("Where the sources disagree"))
        ui.grid(view.disagreements, _("Where the sources disagree"))
    if view.others is not None:
        st.subheader(_("Other diaspora figures"))
        ui.grid(view.others, _("Other diaspora figures"))
        ui.download(view.download_others)
    ui.footer(view.source)
