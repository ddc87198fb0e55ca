"""The JSON schemas (Draft 2020-12) of the request bodies Attentive accepts.

Only keywords that mean the same in Draft 7 are used, so that the same schema can also be
compiled by fastjsonschema. `x-errors` (an annotation validators ignore) gives, per keyword,
the stable error code and the message a marketer sees; `{name}` stands for the property name and
`{found}` for the first of the `forbidden` characters found. No message quotes a value: values
may be personal data.
"""

from typing import Any

DRAFT = "https://json-schema.org/draft/2020-12/schema"

EVENT_NAME_FORBIDDEN = "\" ' ( ) { } [ ] \\ | ,"
PROPERTY_KEY_FORBIDDEN = '" { } [ ] \\ |'

_PROPERTY_KEY: dict[str, Any] = {
    "type": "string",
    "minLength": 1,
    "pattern": r'^[^"{}\[\]\\|]*$',
    "x-errors": {
        "pattern": {
            "code": "forbidden_character",
            "message": "Property name “{name}” contains “{found}”, a character Attentive rejects in names.",
            "forbidden": PROPERTY_KEY_FORBIDDEN.replace(" ", ""),
        },
        "minLength": {
            "code": "invalid_name",
            "message": "A property name cannot be empty.",
        },
    },
}

# The pieces every endpoint's schema shares (the action families' modules use them too).
STRING_ID: dict[str, Any] = {"type": "string", "minLength": 1}
PHONE: dict[str, Any] = {
    "type": "string",
    "pattern": r"^\+[1-9][0-9]{6,14}$",
    "x-errors": {"pattern": {"code": "invalid_phone", "message": "The phone number is not in E.164 format."}},
}
EMAIL: dict[str, Any] = {
    "type": "string",
    "pattern": r"^[^@\s]+@[^@\s]+\.[^@\s.]+$",
    "x-errors": {"pattern": {"code": "invalid_email", "message": "The email address is not valid."}},
}
CUSTOM_IDENTIFIERS: dict[str, Any] = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["name", "value"],
        "additionalProperties": False,
        "properties": {"name": STRING_ID, "value": STRING_ID},
    },
}
EXTERNAL_IDENTIFIERS: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": {"clientUserId": STRING_ID, "customIdentifiers": CUSTOM_IDENTIFIERS},
}
# The person of a subscription request: a phone or an email, nothing else.
SUBSCRIBER: dict[str, Any] = {
    "type": "object",
    "minProperties": 1,
    "additionalProperties": False,
    "properties": {"phone": PHONE, "email": EMAIL},
}

_USER: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": {"phone": PHONE, "email": EMAIL, "externalIdentifiers": EXTERNAL_IDENTIFIERS},
}

CUSTOM_EVENT: dict[str, Any] = {
    "$schema": DRAFT,
    "$id": "urn:relay:attentive:custom_event",
    "title": "Attentive custom event (POST /v1/events/custom)",
    "type": "object",
    "required": ["type", "user"],
    "additionalProperties": False,
    "properties": {
        "type": {
            "type": "string",
            "minLength": 1,
            "pattern": r"^[^\"'(){}\[\]\\|,]*$",
            "x-errors": {
                "pattern": {
                    "code": "forbidden_character",
                    "message": "The event name contains “{found}”, a character Attentive rejects in event names.",
                    "forbidden": EVENT_NAME_FORBIDDEN.replace(" ", ""),
                }
            },
        },
        "properties": {"$ref": "#/$defs/propertyMap"},
        "externalEventId": STRING_ID,
        "occurredAt": {
            "type": "string",
            "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$",
        },
        "user": _USER,
    },
    "$defs": {
        # Attentive does not say whether nested keys are checked; checking them is the safe side.
        "propertyMap": {
            "type": "object",
            "propertyNames": _PROPERTY_KEY,
            "additionalProperties": {"$ref": "#/$defs/propertyValue"},
        },
        "propertyValue": {
            "propertyNames": _PROPERTY_KEY,
            "additionalProperties": {"$ref": "#/$defs/propertyValue"},
            "items": {"$ref": "#/$defs/propertyValue"},
        },
    },
}

MAX_ATTRIBUTES = 100
MAX_ATTRIBUTE_NAME_LENGTH = 200

USER_ATTRIBUTES: dict[str, Any] = {
    "$schema": DRAFT,
    "$id": "urn:relay:attentive:user_attributes",
    "title": "Attentive custom attributes (POST /v1/attributes/custom)",
    "type": "object",
    "required": ["properties", "user"],
    "additionalProperties": False,
    "properties": {
        "properties": {
            "type": "object",
            "minProperties": 1,
            "maxProperties": MAX_ATTRIBUTES,
            "propertyNames": {
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_ATTRIBUTE_NAME_LENGTH,
                "x-errors": {
                    "maxLength": {
                        "code": "name_too_long",
                        "message": f"Attribute name “{{name}}” is longer than {MAX_ATTRIBUTE_NAME_LENGTH} characters.",
                    },
                    "minLength": {
                        "code": "invalid_name",
                        "message": "An attribute name cannot be empty.",
                    },
                },
            },
            "additionalProperties": {
                "type": ["string", "number", "boolean"],
                "x-errors": {
                    "type": {
                        "code": "not_scalar",
                        "message": "Attribute “{name}” must be a single value (text, number or true/false), "
                        "not a list or an object.",
                    }
                },
            },
            "x-errors": {
                "maxProperties": {
                    "code": "too_many_attributes",
                    "message": f"Attentive accepts at most {MAX_ATTRIBUTES} attributes in one request.",
                }
            },
        },
        "user": _USER,
    },
}

# E-commerce events (POST /v1/events/ecommerce/{product-view|add-to-cart|purchase}).
SALES_CHANNELS = ("WEB", "IOS_APP", "ANDROID_APP", "IN_STORE", "PHONE", "OTHER")
_WEB_ADDRESS = {"type": "string", "pattern": r"^https?://\S+$"}
_PRICE = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["value"],
        "additionalProperties": False,
        "properties": {"value": {"type": "number"}, "currency": {"type": "string", "pattern": r"^[A-Z]{3}$"}},
    },
}
_ITEM: dict[str, Any] = {
    "type": "object",
    "required": ["productId", "productVariantId", "price"],
    "additionalProperties": False,
    "properties": {
        "productId": STRING_ID,
        "productVariantId": STRING_ID,
        "price": _PRICE,
        "productImage": _WEB_ADDRESS,
        "productUrl": _WEB_ADDRESS,
        "name": STRING_ID,
        "quantity": {"type": "integer"},
    },
}


def ecommerce_event(endpoint: str, *, purchase: bool = False) -> dict[str, Any]:
    """The body of one e-commerce endpoint; a purchase also carries an order id and a sales channel."""
    properties: dict[str, Any] = {
        "items": {"type": "array", "minItems": 1, "items": _ITEM},
        "occurredAt": CUSTOM_EVENT["properties"]["occurredAt"],
        "user": _USER,
    }
    if purchase:
        properties["orderId"] = STRING_ID
        properties["salesChannel"] = {
            "type": "object",
            "required": ["channelType"],
            "additionalProperties": False,
            "properties": {"channelType": {"type": "string", "pattern": "^(" + "|".join(SALES_CHANNELS) + ")$"}},
        }
    return {
        "$schema": DRAFT,
        "$id": f"urn:relay:attentive:ecommerce:{endpoint}",
        "title": f"Attentive e-commerce event (POST /v1/events/ecommerce/{endpoint})",
        "type": "object",
        "required": ["items", "user"],
        "additionalProperties": False,
        "properties": properties,
    }
