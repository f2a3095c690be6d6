"""Facts & figures: every other number in the data (energy, Caspian geography, investment, organisations ...),
by topic, with units and years; a chart for a figure with several years."""

import streamlit as st

from components import ui
from components.views import facts

_ = ui._
ui.page_title(
    _("Facts & figures"),
    _(
        "Every figure in the data that is not a trade, corridor or population series, "
        "by topic, as the sources state it."
    ),
)
topics = ui.view(facts.topics)
if ui.guard(topics):
    topic = ui.choice(_("Topic"), list(topics.options), "topic")
    view = ui.view(facts.facts, topic=topic, indicator=ui.bound("figure"))
    if ui.guard(view):
        st.caption(ui.text(ui.ngettext("{n} figure", "{n} figures", view.count).format(n=view.count)))
        if view.choices:
            ui.choice(_("Figure over the years"), list(view.choices), "figure")
            if view.chart:
                ui.chart(view.chart)
        ui.grid(view.grid, _("Facts and figures"))
        ui.download(view.download)
        if view.disagreements.num_rows:
            st.subheader(_("Where the sources disagree"))
            ui.grid(view.disagreements, _("Where the sources disagree"))
        ui.footer(view.source)
