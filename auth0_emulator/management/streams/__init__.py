"""The Management API's stream definitions: ``/api/v2/event-streams`` (``event_streams``) and
``/api/v2/log-streams`` (``log_streams``), with the receiver checks both share (``destinations``).
Delivering what the streams carry is ``delivery``'s job."""
