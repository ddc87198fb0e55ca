"""The Attentive destination type."""

from destinations.attentive import ecommerce
from destinations.attentive.actions import CUSTOM_EVENT, USER_ATTRIBUTES
from destinations.definition import DestinationType

ATTENTIVE = DestinationType(
    key="attentive", title="Attentive", actions=(CUSTOM_EVENT, USER_ATTRIBUTES, *ecommerce.ACTIONS)
)
