"""The editor sign-in gate: an editor password or Streamlit's OIDC login; with neither configured, editing is off.

It fails closed: a missing or empty password never opens editing to whoever can reach the dashboard.
"""

from __future__ import annotations

import hmac

import streamlit as st

from pipeline.config import get_settings

EDITOR_KEY = "editor"
EDITING_OFF = (
    "Editing is turned off because no editor password is set, so this dashboard is read-only for everyone. "
    "Ask whoever runs it to set one."
)


def _oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except FileNotFoundError:  # no secrets.toml at all
        return False


def _password() -> str:
    return get_settings().editor_password


def editing_enabled() -> bool:
    """True when editors can sign in at all (an editor password or an OIDC provider is configured)."""
    return bool(_password().strip()) or _oidc_configured()


def current_editor() -> str | None:
    """The signed-in editor's name, or None (always None while editing is off)."""
    if not editing_enabled():
        return None
    if _oidc_configured() and st.user.is_logged_in:
        return str(st.user.get("email") or st.user.get("name") or "oidc user")
    return st.session_state.get(EDITOR_KEY)


def editor_gate(action: str) -> str | None:
    """The editor's name if they may edit; otherwise show how to sign in (for `action`) and return None."""
    editor = current_editor()
    if editor:
        return editor
    if not editing_enabled():
        st.info(EDITING_OFF, icon=":material/lock:")
        return None
    st.info(f"Sign in as an editor to {action}.", icon=":material/lock:")
    if _oidc_configured():
        st.button("Sign in", key=f"oidc_{action}", on_click=st.login, icon=":material/login:")
    if _password().strip():
        with st.form(f"sign_in_{action}"):
            name = st.text_input("Your name", value="editor")
            password = st.text_input("Editor password", type="password")
            if st.form_submit_button("Sign in"):
                if hmac.compare_digest(password.encode(), _password().encode()):
                    st.session_state[EDITOR_KEY] = name.strip() or "editor"
                    st.rerun()
                st.error("Wrong password. Ask whoever runs this dashboard for it.")
    return None


def sign_out_button() -> None:
    """A sidebar button that signs the editor out, shown only while someone is signed in."""
    editor = current_editor()
    if editor is None:
        return
    st.sidebar.text(f"Signed in as {editor}")
    if _oidc_configured() and st.user.is_logged_in:
        st.sidebar.button("Sign out", on_click=st.logout)
    else:
        st.sidebar.button("Sign out", on_click=_sign_out)


def _sign_out() -> None:
    st.session_state[EDITOR_KEY] = None
