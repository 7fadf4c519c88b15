"""Your brief: where a reader's links land (no sign-in; their secret token is in the link).

Unsubscribing needs a press of the button, so mail scanners that open links unsubscribe nobody. A thumb is
recorded when the page opens (one vote per reader and insight; opening it again changes nothing).
"""

import streamlit as st

from pipeline.delivery import feedback, readers
from pipeline.errors import PodbriefError
from ui import data, delivery, shell, widgets

shell.guard()

st.title("Your brief")
params = st.query_params
reader = readers.reader_by_token(data.store(), params.get("token", ""))
if reader is None:
    st.warning("This link is not valid (any more). Use the links in your latest brief, or ask whoever sends it to you.",
               icon=":material/link_off:")
    st.stop()

action = params.get("action", "")
who = widgets.inert(delivery.masked(reader.email))

if action == "unsubscribe":
    if reader.status == "unsubscribed":
        st.success(f"{who} is unsubscribed: you will not get the brief again.", icon=":material/check_circle:")
        if st.button("Subscribe again", icon=":material/mail:"):
            readers.resubscribe(data.store(), params["token"])
            st.rerun()
    else:
        st.write(f"Stop sending the brief to {who}?")
        if st.button("Unsubscribe", type="primary", icon=":material/unsubscribe:"):
            readers.unsubscribe(data.store(), params["token"], how="the unsubscribe page")
            st.rerun()
elif action == "vote" and params.get("vote") in feedback.VOTES:
    vote = params["vote"]
    try:
        recorded = feedback.record_vote(data.store(), reader, params.get("insight", ""), vote, date=params.get("date"))
    except PodbriefError as exc:
        st.warning(widgets.inert(str(exc)))
        st.stop()
    delivery.clear()
    more = vote == "up"
    st.success("Thanks: you will see more like this." if more else "Thanks: you will see less like this.",
               icon=":material/thumb_up:" if more else ":material/thumb_down:")
    with st.container(border=True):
        st.markdown(widgets.inert(recorded["text"]))
    other = "down" if more else "up"
    if st.button("Less like this after all" if more else "More like this after all",
                 icon=":material/thumb_down:" if more else ":material/thumb_up:"):
        st.query_params["vote"] = other
        st.rerun()
else:
    st.write(f"This is the page for {who}'s brief. Use the links in an email to unsubscribe or to rate an insight.")
