"""Trade: turnover by direction and reporter, part-year figures, balance and change, top products, trade and
investment figures. Four views in tabs kept in the URL (?trade_view=...): only the open one runs."""

import streamlit as st

from components import ui
from components.views import trade

_ = ui._
ui.page_title(
    _("Trade"),
    _(
        "Goods trade between Azerbaijan and Kazakhstan, in million US dollars, from each "
        "country's statistics side by side (they differ, and are never blended)."
    ),
)
tabs = ui.view_tabs(
    "trade",
    [
        ("turnover", _("Turnover")),
        ("balance", _("Balance and change")),
        ("products", _("Top products")),
        ("figures", _("Trade and investment figures")),
    ],
)

if tabs[0].open:
    with tabs[0]:
        view = ui.view(trade.turnover, phone=ui.is_phone())
        if ui.guard(view):
            ui.stale_notice(trade.turnover.tables)
            ui.chart(view.chart)
            st.caption(
                _(
                    "Colour is the direction of trade; line and marker say whose statistics: solid circles "
                    "Azerbaijani, dashed diamonds Kazakh, dotted squares officials' statements. An open marker is a "
                    "value we derived; a triangle a bound. Figures for part of a year are in the lower panel, at the "
                    "month their period ends."
                )
            )
            full = ui.ngettext("{n} full year (by reporter)", "{n} full years (by reporter)", view.counts[0])
            part = ui.ngettext("{k} part-year figure", "{k} part-year figures", view.counts[1])
            label = _("Table: {full} and {part}").format(
                full=full.format(n=view.counts[0]), part=part.format(k=view.counts[1])
            )
            with ui.table(label, "trade.table"):
                st.markdown("**" + _("Full years, million USD") + "**")
                ui.grid(view.full_years, _("Full years"))
                st.markdown("**" + _("Part-year figures — not full years, never summed as one") + "**")
                ui.grid(view.part_years, _("Part-year figures"))
                if view.others.num_rows:
                    st.markdown("**" + _("Other sources for the same figure") + "**")
                    ui.grid(view.others, _("Other sources"))
                if view.derived.num_rows:
                    st.markdown("**" + _("How the derived values were computed") + "**")
                    ui.grid(view.derived, _("Derived values"))
            ui.download(view.download_shown)
            ui.download(view.download_long)
            if view.disagreements.num_rows:
                st.subheader(_("Where the sources disagree"))
                ui.grid(view.disagreements, _("Where the sources disagree"))
            ui.footer(view.source)

if tabs[1].open:
    with tabs[1]:
        view = ui.view(trade.balance)
        if ui.guard(view):
            left, right = st.columns(2)
            with left:
                if ui.guard(view.balance):
                    ui.chart(view.balance)
            with right:
                if ui.guard(view.change):
                    ui.chart(view.change)
            st.caption(
                _(
                    "Balance: Azerbaijan's exports to Kazakhstan minus its imports from it, full years with both "
                    "directions from one reporter. Change: only between two consecutive full years of the same "
                    "reporter."
                )
            )
            ui.download(view.download)
            ui.footer(view.source)

if tabs[2].open:
    with tabs[2]:
        view = ui.view(trade.products)
        if ui.guard(view):
            for heading, cells in view.lists:
                st.subheader(ui.text(heading))
                for column, cell in zip(st.columns(2), cells):
                    with column:
                        if ui.guard(cell):
                            ui.chart(cell)
            with st.expander(_("Table: the products listed, with sources")):
                ui.grid(view.grid, _("Products"))
            ui.download(view.download)
            ui.footer(view.source)

if tabs[3].open:
    with tabs[3]:
        view = ui.view(trade.figures, indicator=ui.bound("trade_figure"))
        if ui.guard(view):
            st.caption(
                _(
                    "Growth rates, targets, investment stocks, companies with the other country's capital and "
                    "grain deliveries, as the sources state them (units and years in the table)."
                )
            )
            if view.choices:
                ui.choice(_("Figure over the years"), list(view.choices), "trade_figure")
                if view.chart:
                    ui.chart(view.chart)
            ui.grid(view.grid, _("Trade and investment figures"))
            ui.download(view.download)
            if view.disagreements.num_rows:
                st.subheader(_("Where the sources disagree"))
                ui.grid(view.disagreements, _("Where the sources disagree"))
            ui.footer(view.source)
