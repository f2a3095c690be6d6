"""The data layer (pure: no streamlit): the package description, reading, typing and validating tables, the
validated store, the validate CLI and the data dictionary."""
