"""Parts of a page that are big enough to read on their own (Streamlit code, like views/)."""
