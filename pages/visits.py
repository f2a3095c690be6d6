"""Visits & agreements: who went where, when and why; documents signed by domain over time.

Two views in tabs kept in the URL (?visits_view=...): only the open one runs and is drawn."""
import streamlit as st

from components import charts, transforms, ui

years = ui.selected_years()
ui.page_title("Visits & agreements", years, "Leaders' visits between Baku and Astana, meetings elsewhere, "
              "and the documents signed.")

ui.keep_state("visits.leader", "visits.type", "visits.search", "agreements.domain", "agreements.search")
visits_tab, agreements_tab = ui.view_tabs("visits", ["Visits and meetings", "Agreements and documents"])

visits = ui.table("visits", where=visits_tab) if visits_tab.open else None
if visits is not None:
    with visits_tab:
        in_range = transforms.in_years(visits, years).assign(direction=lambda d: transforms.visit_direction(d))
        leaders, types, search = st.columns([2, 2, 2])
        chosen_leaders = leaders.multiselect("Leader", sorted(in_range["visitor"].unique()), key="visits.leader",
                                             placeholder="All leaders")
        chosen_types = types.multiselect("Type", ["official", "working", "summit", "other"], key="visits.type",
                                         placeholder="All types")
        query = search.text_input("Search visits", key="visits.search", placeholder="e.g. Baku, oil, 2005")
        shown = in_range
        if chosen_leaders:
            shown = shown[shown["visitor"].isin(chosen_leaders)]
        if chosen_types:
            shown = shown[shown["visit_type"].isin(chosen_types)]
        shown = transforms.search_rows(shown, query)
        if shown.empty:
            st.info("No visits match these filters in the selected years.")
        else:
            counts = transforms.visit_counts(shown)
            st.caption(f"{len(shown)} visits or meetings — AZ → KZ: {counts['AZ → KZ']}, KZ → AZ: {counts['KZ → AZ']}, "
                       f"elsewhere: {counts['elsewhere']}.")
            ui.chart(charts.visits_figure, ui.cite(shown), transforms.span_label(shown, years), ui.source_text(shown),
                     key="visits.timeline")
            with st.expander(f"Table: the {len(shown)} visits and meetings, with sources"):
                ui.table_view(shown[["date", "end_date", "visitor", "visitor_role", "direction", "city", "visit_type",
                                     "occasion", "source_id", "note"]])
            ui.download_csv(shown.drop(columns=["direction", "year", "date_start"]), "visits", years)
            ui.source_footer(shown)

agreements = ui.table("agreements", where=agreements_tab) if agreements_tab.open else None
if agreements is not None:
    with agreements_tab:
        in_range = transforms.in_years(agreements, years)
        domains, search = st.columns([2, 2])
        chosen = domains.multiselect("Domain", sorted(in_range["domain"].unique()), key="agreements.domain",
                                     placeholder="All domains")
        query = search.text_input("Search documents", key="agreements.search", placeholder="e.g. Caspian, oil")
        shown = in_range[in_range["domain"].isin(chosen)] if chosen else in_range
        shown = transforms.search_rows(shown, query)
        if shown.empty:
            st.info("No documents match these filters in the selected years.")
        else:
            by_domain = transforms.agreements_by_domain(shown)
            ui.chart(charts.agreements_figure, by_domain, transforms.span_label(shown, years), ui.source_text(shown),
                     key="agreements.by_domain")
            with st.expander(f"Table: the {len(shown)} documents, with sources"):
                ui.table_view(shown[["date", "title", "parties", "domain", "doc_type", "city", "source_id", "note"]])
            ui.download_csv(shown.drop(columns=["year", "date_start"]), "agreements", years, key="dl.agreements")
            ui.source_footer(shown)
