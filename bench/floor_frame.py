"""The rerun floor's frame: run the way frame/main.py runs the app (a sidebar frame, then st.navigation).

bench/rerun.py opens it exactly as it opens the app: `AppTest.from_file(<this file>)`, a first `at.run()`
(the default page), `at.switch_page("floor_page.py")`, `at.run()`, then reruns after moving the sidebar
slider. The frame draws only the year slider (the app's frame also has a language selector and an
image-format radio: those are the app's own cost), keeps the range in the URL as ?from=&to=, and runs the
page through st.navigation, so the floor pays Streamlit's navigation and page-switch cost like the app.
"""

import streamlit as st

LO, HI = 1991, 2025
KEY = "frame.years"


def first_range() -> tuple[int, int]:
    try:
        start, end = int(st.query_params.get("from", LO)), int(st.query_params.get("to", HI))
    except ValueError:
        return LO, HI
    return (max(LO, start), min(HI, end)) if start <= end else (LO, HI)


def home() -> None:
    st.title("Floor home")


st.session_state["floor.framed"] = True  # floor_page.py draws its own slider only when run without this frame
if KEY not in st.session_state:
    st.session_state[KEY] = first_range()
start, end = st.sidebar.slider("Year range", min_value=LO, max_value=HI, key=KEY)
if st.query_params.get("from") != str(start) or st.query_params.get("to") != str(end):
    st.query_params.update({"from": str(start), "to": str(end)})
page = st.navigation(
    [
        st.Page(home, title="Home", url_path="", default=True),
        st.Page("floor_page.py", title="Floor", url_path="floor"),
    ]
)
page.run()
