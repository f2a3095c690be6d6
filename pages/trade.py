"""Trade: turnover by year and direction, part-year figures, balance, year-on-year change, top products.

Three views in tabs kept in the URL (?trade_view=...): only the open one runs and is drawn."""
import streamlit as st

from components import charts, transforms, ui

years = ui.selected_years()
ui.page_title("Trade", years, "Merchandise trade between Azerbaijan and Kazakhstan, in million US dollars.")
turnover_tab, balance_tab, products_tab = ui.view_tabs("trade", ["Turnover", "Balance and change", "Top products"])

open_tab = turnover_tab if turnover_tab.open else balance_tab if balance_tab.open else None
trade = ui.table("trade_turnover", where=open_tab) if open_tab is not None else None
shown = transforms.in_years(trade, years) if trade is not None else None
if shown is not None and shown.empty:
    open_tab.info(f"No trade figures in {years.label()}. Widen the year range in the sidebar.")
elif shown is not None:
    wide = transforms.turnover_table(transforms.annual_turnover(shown))
    source = ui.source_text(shown)
    if turnover_tab.open:
        with turnover_tab:
            part = transforms.part_year_turnover(shown)
            ui.chart(charts.turnover_figure, wide, part, transforms.span_label(shown, years), source,
                     key="trade.turnover")
            # The tables sit in an expander: a data grid costs about as much to draw as the chart (bench/).
            with st.expander(f"Table: {len(wide)} full years and {len(part)} part-year figure(s), million USD"):
                full_years, part_years = st.columns([3, 2])
                with full_years:
                    st.markdown("**Full years** (million USD)")
                    ui.table_view(wide, column_config={
                        "year": st.column_config.NumberColumn("Year", format="%d"),
                        "kz_to_az": st.column_config.NumberColumn("KZ → AZ", format="%.2f"),
                        "az_to_kz": st.column_config.NumberColumn("AZ → KZ", format="%.2f"),
                        "total": st.column_config.NumberColumn("Total", format="%.2f"),
                        "balance_az": st.column_config.NumberColumn("AZ balance", format="%.2f",
                                                                    help="Azerbaijan's exports minus imports"),
                        "total_change_pct": st.column_config.NumberColumn("Δ total %", format="%.1f",
                                                                          help="Only between consecutive years"),
                        "derived": st.column_config.TextColumn("Derived flows",
                                                               help="Values we computed; see notes"),
                    })
                with part_years:
                    st.markdown("**Part-year figures** — not full years, never summed as one")
                    if part.empty:
                        st.caption("None in the selected years.")
                    else:
                        ui.table_view(part[["year", "period", "flow", "value_usd_m", "is_derived", "note"]])
            ui.download_csv(shown, "trade_turnover", years)
            ui.source_footer(shown)
            notes = shown[shown["is_derived"].astype(bool)]
            if not notes.empty:
                with st.expander(f"How the {len(notes)} derived value(s) were computed"):
                    ui.table_view(notes[["year", "period", "flow", "value_usd_m", "note", "source_id"]])
    if balance_tab.open:
        with balance_tab:
            left, right = st.columns(2)
            with left:
                ui.chart(charts.balance_figure, wide, transforms.span_label(wide, years), source,
                         key="trade.balance")
            with right:
                ui.chart(charts.change_figure, wide, transforms.span_label(wide, years), source,
                         key="trade.change")
            st.caption("Balance: Azerbaijan's exports to Kazakhstan minus its imports from it, full years only. "
                       "Change: only between two consecutive full years with a reported total.")
            ui.download_csv(wide, "trade_balance", years, key="dl.trade_balance")
            ui.source_footer(shown)

products = ui.table("trade_products", where=products_tab) if products_tab.open else None
if products is not None:
    with products_tab:
        shown_products = transforms.in_years(products, years)
        if shown_products.empty:
            st.info(f"No product lists in {years.label()}.")
        else:
            for (year, period), rows in shown_products.groupby(["year", "period"], sort=True):
                columns = st.columns(2)
                for column, flow in zip(columns, ("kz_to_az", "az_to_kz")):
                    flow_rows = rows[rows["flow"] == flow]
                    with column:
                        if flow_rows.empty:
                            st.info(f"No list for {charts.FLOW_NAMES[flow]} in {year}.")
                            continue
                        ui.chart(charts.products_figure, flow_rows, flow, ui.source_text(flow_rows),
                                 key=f"trade.products.{year}.{period}.{flow}")
            with st.expander(f"Table: the {len(shown_products)} products listed, with sources"):
                ui.table_view(shown_products[["year", "period", "flow", "rank", "product", "value_usd", "source_id"]],
                              column_config={"year": st.column_config.NumberColumn("Year", format="%d"),
                                             "value_usd": st.column_config.NumberColumn("Value (USD)",
                                                                                        format="%,.0f")})
            ui.download_csv(shown_products, "trade_products", years, key="dl.trade_products")
            ui.source_footer(shown_products)
