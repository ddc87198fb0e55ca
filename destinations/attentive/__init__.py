"""The Attentive destination type."""

from destinations.attentive import ecommerce
from destinations.attentive.actions import CUSTOM_EVENT, USER_ATTRIBUTES
from destinations.attentive.client import AttentiveClient, api_base_url, auth_header
from destinations.attentive.identity import IDENTIFY
from destinations.attentive.privacy_requests import ERASURE
from destinations.attentive.subscribe import SUBSCRIBE
from destinations.attentive.unsubscribe import UNSUBSCRIBE
from destinations.definition import ApiKey, BodyLayout, DestinationSetting, DestinationType

ATTENTIVE = DestinationType(
    key="attentive",
    title="Attentive",
    actions=(CUSTOM_EVENT, USER_ATTRIBUTES, *ecommerce.ACTIONS, IDENTIFY, SUBSCRIBE, UNSUBSCRIBE),
    client=AttentiveClient,
    base_url=api_base_url,
    auth_header=auth_header,
    erasure=ERASURE,
    body_layout=BodyLayout(
        named=("properties",),
        # Custom events and attributes hold custom identifiers in their user, identify at the top of its flat
        # body, subscribe and unsubscribe in a top-level externalIdentifiers.
        identifier_lists=(
            ("user", "externalIdentifiers", "customIdentifiers"),
            ("customIdentifiers",),
            ("externalIdentifiers", "customIdentifiers"),
        ),
        # Identifiers Relay normalises itself (in a user, or at the top of identify's body) and ids it makes.
        unjudged_values=frozenset(
            {("user", "phone"), ("user", "email"), ("phone",), ("email",), ("externalEventId",), ("occurredAt",)}
        ),
        event_name=("type",),
        # The person is the user of most bodies, at the top of identify's flat one.
        phones=(("user", "phone"), ("phone",)),
        emails=(("user", "email"), ("email",)),
    ),
    api_key=ApiKey(
        where="Marketplace → Create App, with Write permission for Custom Events and Custom Attributes.",
        check="GET /v1/me",
    ),
    article="an",
    privacy_note="Attentive's terms forbid health information in custom events and attributes.",
    # Subscribe needs the sign-up disclosure; a subscription without a locale falls back on a sign-up source,
    # else a locale (destinations.attentive.subscribe).
    settings=(
        DestinationSetting("subscription_disclosure", "Sign-up disclosure"),
        DestinationSetting("default_locale", "Default locale for subscriptions", default_for="locale"),
        DestinationSetting("default_sign_up_source_id", "Default sign-up source id", default_for="sign_up_source_id"),
    ),
)
