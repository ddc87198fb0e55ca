"""A labelled set for the default privacy rules: ordinary shop data that must leave, and health
information that must not. Each case is an event and how an action maps it; `bench/privacy_rules.py`
measures precision, recall and cost on it and tests/mapper/test_privacy_cases.py holds the goal.

Ordinary: Segment's e-commerce spec events, Shopify-style orders and customers, loyalty
programmes, US/Canadian/UK postal codes, coupon, SKU and model codes that look like clinical codes,
common marketing properties. Health: names, renamed values, identifiers, nested and list members,
ICD-10-CM codes with and without their dot, free text.
"""

from dataclasses import dataclass, field
from typing import Any

WHOLE_PROPERTIES = {"event_name": "event", "email": "context.traits.email", "properties": "properties"}
WHOLE_TRAITS = {"email": "traits.email", "attributes": "traits"}


@dataclass(frozen=True)
class Case:
    name: str
    event: dict[str, Any]
    health: bool
    action_type: str = "custom_event"
    mappings: dict[str, str] = field(default_factory=lambda: dict(WHOLE_PROPERTIES))


def track(event: str, properties: dict[str, Any], email: str = "jane@example.com") -> dict[str, Any]:
    return {"type": "track", "event": event, "properties": properties, "context": {"traits": {"email": email}}}


def identify(traits: dict[str, Any]) -> dict[str, Any]:
    return {"type": "identify", "userId": "u-1001", "traits": {"email": "sam@example.com", **traits}}


# Products as shops describe them: model codes and SKUs that are shaped like ICD-10 codes (T800,
# X100, M32, A15, F150 are real codes' shapes, several real codes) among ordinary ones.
PRODUCTS = [
    {"product_id": "507f1f77", "sku": "G-32", "name": "Monopoly: 3rd Edition", "price": 19.0, "brand": "Hasbro"},
    {"product_id": "p-8812", "sku": "T800", "name": "Terminator T800 Figure", "price": 34.99, "brand": "NECA"},
    {"product_id": "sam-a15", "sku": "SM-A155F", "name": "Galaxy A15", "model": "A15", "price": 199.0},
    {"product_id": "fuji-x100", "sku": "X100", "name": "Fujifilm X100VI", "model": "X100", "price": 1599.0},
    {"product_id": "m32-case", "sku": "M32", "name": "Galaxy M32 Case", "model": "M32", "price": 12.5},
    {"product_id": "mat-f150", "sku": "F150-MAT", "name": "F150 Floor Mats", "model": "F150", "price": 89.0},
    {"product_id": "b20-bulb", "sku": "B20", "name": "B20 Candle Bulb 4-pack", "price": 7.99},
    {"product_id": "z3a-lens", "sku": "Z3A", "name": "Z3A Zoom Lens Cap", "price": 9.0},
    {"product_id": "e119-hose", "sku": "E119", "name": "Garden Hose E119", "price": 24.0},
    {"product_id": "k20-kb", "sku": "K20", "name": "K20 Mechanical Keyboard", "price": 79.0, "variant": "Brown"},
    {"product_id": "j45-hp", "sku": "J45", "name": "J45 Headphones", "price": 59.0, "variant": "Black"},
    {"product_id": "r10-rb", "sku": "R10", "name": "R10 Road Bike Tube", "price": 8.5},
    {"product_id": "tee-001", "sku": "TS-RED-M", "name": "Crew Tee", "price": 18.0, "variant": "Red / M"},
    {"product_id": "mug-77", "sku": "MUG-77", "name": "Stoneware Mug", "price": 14.0, "category": "Kitchen"},
    {"product_id": "c3a-sock", "sku": "C3A1B9", "name": "Wool Socks 3-pack", "price": 21.0},
    {"product_id": "h1-lamp", "sku": "H1", "name": "Halogen H1 Headlight Bulb", "price": 11.0},
    {"product_id": "p30-pan", "sku": "P30", "name": "P30 Saute Pan", "price": 45.0, "category": "Cookware"},
    {"product_id": "s22-film", "sku": "S22-FILM", "name": "Screen Protector S22", "price": 9.99},
    {"product_id": "n95-lite", "sku": "N95L", "name": "LED Desk Lamp N95L", "price": 39.0},
    {"product_id": "a320-kit", "sku": "A320", "name": "A320 Model Airplane Kit", "price": 64.0},
]
COUPONS = [
    "B20OFF", "C3A1B9", "F150", "SAVE10", "WELCOME15", "A15", "M32", "X100", "T800", "FREESHIP",
    "SPRING24", "Z10", "E11", "J20OFF", "VIP25", "K1A", "L30", "BF2025", "D50", "R2D2",
]  # fmt: skip
US_ZIPS = ["94612", "10001", "60614", "02139", "73301", "98101", "33139", "80202", "30303", "85004"]
CA_POSTAL = ["K1A0B1", "K1A 0B1", "M5V 3L9", "H2X1Y4", "V6B 4Y8", "T2P 2M5", "E1C 4H3", "B3H1X5"]
UK_POSTCODES = ["E14", "E14 5AB", "SW1A 1AA", "M1 1AE", "B33 8TH", "CR2 6XH", "DN55 1PT", "W1A 0AX", "EC1A 1BB"]
CITIES = [("Oakland", "CA", "US"), ("Ottawa", "ON", "CA"), ("London", "", "GB"), ("Chicago", "IL", "US")]


def _product(index: int, quantity: int = 1, position: int | None = None) -> dict[str, Any]:
    product = {**PRODUCTS[index % len(PRODUCTS)], "quantity": quantity, "currency": "USD"}
    if position is not None:
        product["position"] = position
    return product


def segment_spec_cases() -> list[Case]:
    """Segment's e-commerce spec, event by event, with the products above."""
    cases = []
    for index, query in enumerate(["blue hotpants", "galaxy a15 case", "x100 lens hood", "f150 mats", "t800"]):
        cases.append(Case(f"Products Searched {index}", track("Products Searched", {"query": query}), False))
    for index in range(8):
        products = [_product(index + offset, position=offset + 1) for offset in range(3)]
        properties = {"list_id": f"list-{index}", "category": "Deals", "products": products}
        cases.append(Case(f"Product List Viewed {index}", track("Product List Viewed", properties), False))
    for index in range(6):
        properties = {
            "list_id": "hot_deals_1",
            "category": "Deals",
            "filters": [{"type": "department", "value": "beauty"}, {"type": "price", "value": "under-$25"}],
            "sorts": [{"type": "price", "value": "desc"}],
            "products": [_product(index), _product(index + 5)],
        }
        cases.append(Case(f"Product List Filtered {index}", track("Product List Filtered", properties), False))
    for event in ("Product Clicked", "Product Viewed", "Product Added", "Product Removed"):
        for index in range(len(PRODUCTS)):
            properties = {**_product(index, quantity=1 + index % 3), "url": f"https://shop.example.com/p/{index}"}
            properties["image_url"] = f"https://cdn.example.com/p/{index}.jpg"
            if event == "Product Added":
                properties["cart_id"] = f"skdjsidjsdkdj29j{index}"
            cases.append(Case(f"{event} {PRODUCTS[index]['sku']}", track(event, properties), False))
    for index in range(6):
        properties = {"cart_id": f"cart-{index}", "products": [_product(index), _product(index + 7, 2)]}
        cases.append(Case(f"Cart Viewed {index}", track("Cart Viewed", properties), False))
    for index in range(10):
        properties = {
            "order_id": f"50314b8e9bcf00000000000{index}",
            "affiliation": "Google Store",
            "value": 30 + index,
            "revenue": 25.0 + index,
            "shipping": 3,
            "tax": 2,
            "discount": 2.5,
            "coupon": COUPONS[index],
            "currency": "USD",
            "products": [_product(index), _product(index + 10, 2)],
        }
        cases.append(Case(f"Checkout Started {index}", track("Checkout Started", properties), False))
        completed = {**properties, "checkout_id": f"fksdjfsdjfisjf9sdfjsd9f{index}", "total": 27.5 + index}
        cases.append(Case(f"Order Completed {index}", track("Order Completed", completed), False))
    for step, (method, payment) in enumerate([("Fedex", "Visa"), ("UPS", "PayPal"), ("USPS", "Apple Pay")], 1):
        properties = {"checkout_id": "50314b8e9bcf", "step": step, "shipping_method": method, "payment_method": payment}
        cases.append(Case(f"Checkout Step Viewed {step}", track("Checkout Step Viewed", properties), False))
        cases.append(Case(f"Checkout Step Completed {step}", track("Checkout Step Completed", properties), False))
        cases.append(Case(f"Payment Info Entered {step}", track("Payment Info Entered", properties), False))
    for index, coupon in enumerate(COUPONS):
        base = {"order_id": f"ord-{index}", "cart_id": f"cart-{index}", "coupon_id": coupon}
        event = ("Coupon Entered", "Coupon Applied", "Coupon Denied", "Coupon Removed")[index % 4]
        properties = {**base, "coupon_name": f"{coupon} promotion", "discount": 5 + index}
        if event == "Coupon Denied":
            properties["reason"] = "Coupon expired"
        cases.append(Case(f"{event} {coupon}", track(event, properties), False))
    for index in range(5):
        refunded = {"order_id": f"ord-{index}", "total": 30.0, "currency": "USD", "products": [_product(index)]}
        cases.append(Case(f"Order Refunded {index}", track("Order Refunded", refunded), False))
        cases.append(Case(f"Order Cancelled {index}", track("Order Cancelled", {**refunded, "reason": "late"}), False))
    for index, via in enumerate(["email", "sms", "twitter"]):
        shared = {
            **_product(index + 2),
            "share_via": via,
            "share_message": "Hey, check out this item",
            "recipient": "friend@example.com",
        }
        cases.append(Case(f"Product Shared {via}", track("Product Shared", shared), False))
        review = {
            "product_id": PRODUCTS[index]["product_id"],
            "review_id": f"kdfjrj39fj{index}",
            "review_body": "Great fit, ships fast",
            "rating": 5 - index,
        }
        cases.append(Case(f"Product Reviewed {index}", track("Product Reviewed", review), False))
        wish = {"wishlist_id": "skdjsidjsdkdj29j", "wishlist_name": "Loved Games", **_product(index + 4)}
        cases.append(Case(f"Product Added to Wishlist {index}", track("Product Added to Wishlist", wish), False))
    for index, (promo, creative) in enumerate([("promo_1", "top_banner_2"), ("B20", "hero"), ("X100", "side")]):
        properties = {
            "promotion_id": promo,
            "creative": creative,
            "name": "75% store-wide shoe sale",
            "position": "home_banner_top",
        }
        cases.append(Case(f"Promotion Viewed {index}", track("Promotion Viewed", properties), False))
        cases.append(Case(f"Promotion Clicked {index}", track("Promotion Clicked", properties), False))
    return cases


def shopify_cases() -> list[Case]:
    """Orders and customers as Shopify's webhooks send them (a subset of their fields)."""
    cases = []
    for index in range(15):
        city, province, country = CITIES[index % len(CITIES)]
        postal = {"US": US_ZIPS, "CA": CA_POSTAL, "GB": UK_POSTCODES}[country][index % 8]
        code = COUPONS[(index * 3) % len(COUPONS)]
        order = {
            "name": f"#{1001 + index}",
            "order_number": 1001 + index,
            "financial_status": ("paid", "pending", "refunded")[index % 3],
            "fulfillment_status": ("fulfilled", None, "partial")[index % 3],
            "currency": "CAD" if country == "CA" else "USD",
            "total_price": f"{40 + index}.00",
            "discount_codes": [{"code": code, "amount": "10.00", "type": "percentage"}],
            "shipping_lines": [
                {"code": ("Standard", "F150", "EXPRESS")[index % 3], "price": "5.00", "title": "Standard"}
            ],
            "line_items": [
                {
                    "sku": PRODUCTS[index % 20]["sku"],
                    "title": PRODUCTS[index % 20]["name"],
                    "quantity": 1,
                    "vendor": "Acme",
                    "variant_title": "M32" if index % 4 == 0 else "Default",
                },
            ],
            "shipping_address": {"city": city, "province_code": province, "zip": postal, "country_code": country},
            "tags": "vip, wholesale" if index % 2 else "",
            "note": "Leave at the back door" if index % 5 == 0 else "",
            "source_name": "web",
            "shipping_insurance": index % 2 == 0,
            "gateway": "shopify_payments",
        }
        cases.append(Case(f"Shopify order {index}", track("Order Paid", order), False))
    for index in range(12):
        city, province, country = CITIES[(index + 1) % len(CITIES)]
        postal = {"US": US_ZIPS, "CA": CA_POSTAL, "GB": UK_POSTCODES}[country][index % 8]
        traits = {
            "first_name": ("Ana", "Ben", "Chloe", "Dev")[index % 4],
            "orders_count": index,
            "total_spent": f"{index * 37}.50",
            "accepts_marketing": index % 2 == 0,
            "tags": "loyalty, newsletter",
            "state": "enabled",
            "default_address": {"city": city, "province_code": province, "zip": postal, "country_code": country},
        }
        cases.append(Case(f"Shopify customer {index}", identify(traits), False, "user_attributes", dict(WHOLE_TRAITS)))
    return cases


def loyalty_cases() -> list[Case]:
    cases = []
    for index in range(8):
        member = f"LM-{88120 + index}"
        cases.append(
            Case(
                f"Points Earned {index}",
                track(
                    "Loyalty Points Earned",
                    {"member_id": member, "points": 120 + index, "balance": 900, "tier": "Gold"},
                ),
                False,
            )
        )
        cases.append(
            Case(
                f"Reward Redeemed {index}",
                track(
                    "Reward Redeemed",
                    {
                        "memberId": member,
                        "reward_id": f"rw-{index}",
                        "reward_name": "Free shipping",
                        "points_spent": 500,
                    },
                ),
                False,
            )
        )
        cases.append(
            Case(
                f"Tier Changed {index}",
                track(
                    "Tier Changed",
                    {"member_id": member, "old_tier": "Silver", "new_tier": "Gold", "member_since": "2021-04-02"},
                ),
                False,
            )
        )
    for index in range(6):
        loyalty = {
            "loyalty": {"member_id": f"M{4400 + index}", "member_number": f"00{index}99", "program": "Acme Rewards"}
        }
        cases.append(
            Case(
                f"Order with loyalty {index}",
                track("Order Completed", {"order_id": f"o-{index}", **loyalty, "total": 42}),
                False,
            )
        )
        traits = {"loyalty_member_id": f"LY{index}77", "rewards_tier": "Platinum", "points_balance": 3200 + index}
        cases.append(Case(f"Loyalty traits {index}", identify(traits), False, "user_attributes", dict(WHOLE_TRAITS)))
    return cases


def postal_cases() -> list[Case]:
    cases = []
    for zip_code in US_ZIPS:
        cases.append(
            Case(
                f"US zip {zip_code}",
                identify({"address": {"postal_code": zip_code, "country": "US"}}),
                False,
                "user_attributes",
                dict(WHOLE_TRAITS),
            )
        )
    for postal in CA_POSTAL:
        cases.append(
            Case(f"CA postal {postal}", track("Store Located", {"postal_code": postal, "store_id": "ott-12"}), False)
        )
    for postcode in UK_POSTCODES:
        cases.append(
            Case(
                f"UK postcode {postcode}",
                identify({"postcode": postcode, "country": "GB"}),
                False,
                "user_attributes",
                dict(WHOLE_TRAITS),
            )
        )
        cases.append(
            Case(
                f"UK district {postcode}",
                track("Delivery Slot Booked", {"postcode_district": postcode.split()[0], "slot": "18:00-20:00"}),
                False,
            )
        )
    return cases


def code_cases() -> list[Case]:
    """Coupon, SKU and model codes under the names shops give them, renamed on their way out too."""
    cases = []
    for coupon in COUPONS:
        cases.append(
            Case(f"coupon_code {coupon}", track("Checkout Started", {"coupon_code": coupon, "cart_total": 50}), False)
        )
        cases.append(Case(f"promo_code {coupon}", track("Promo Code Used", {"promo_code": coupon}), False))
    for product in PRODUCTS:
        cases.append(
            Case(
                f"renamed sku {product['sku']}",
                track("Back In Stock", {"sku": product["sku"], "title": product["name"]}),
                False,
                mappings={
                    "event_name": "event",
                    "email": "context.traits.email",
                    "properties.SKU": "properties.sku",
                    "properties.Product": "properties.title",
                },
            )
        )
    for model in ["T800", "X100", "M32", "A15", "F150", "B20", "Z3A", "E119", "J45", "K20"]:
        cases.append(Case(f"model {model}", track("Product Viewed", {"model": model, "brand": "Acme"}), False))
        cases.append(Case(f"variant {model}", track("Variant Selected", {"product_id": "p1", "variant": model}), False))
        cases.append(
            Case(f"product_code {model}", track("Price Alert Set", {"product_code": model, "target_price": 99}), False)
        )
    for index, channel in enumerate(["B2B", "B2C", "D2C", "POS", "WEB"]):
        cases.append(
            Case(
                f"sales channel {channel}",
                track("Order Completed", {"order_id": f"o-{index}", "sales_channel": channel}),
                False,
            )
        )
    cases.append(
        Case("gift card code", track("Gift Card Purchased", {"gift_card": {"code": "X100", "amount": 50}}), False)
    )
    cases.append(Case("referral code", track("Referral Sent", {"referral_code": "A15", "channel": "sms"}), False))
    cases.append(
        Case(
            "country and currency",
            track("Locale Changed", {"country_code": "GB", "currency_code": "GBP", "language": "en"}),
            False,
        )
    )
    return cases


def marketing_cases() -> list[Case]:
    cases = []
    for index, (source, medium, campaign) in enumerate(
        [
            ("google", "cpc", "spring_sale"),
            ("facebook", "paid_social", "B20OFF"),
            ("newsletter", "email", "t800-launch"),
            ("tiktok", "video", "x100_reveal"),
            ("partner", "affiliate", "F150"),
        ]
    ):
        page = {
            "utm_source": source,
            "utm_medium": medium,
            "utm_campaign": campaign,
            "url": f"https://shop.example.com/?c={index}",
            "referrer": "https://www.google.com/",
            "title": "Spring Sale",
        }
        cases.append(Case(f"utm {campaign}", track("Landing Page Viewed", page), False))
    for test, variant, result in [
        ("checkout_button", "B", "converted"),
        ("hero_copy", "A", "bounced"),
        ("price_display", "control", "converted"),
    ]:
        cases.append(
            Case(
                f"ab test {test}",
                track("Experiment Viewed", {"experiment_name": test, "variant": variant, "ab_test_result": result}),
                False,
            )
        )
    extras = [
        ("Newsletter Signup", {"list": "weekly", "source": "footer", "consent": True}),
        ("Back In Stock Requested", {"sku": "M32", "channel": "sms"}),
        ("Store Visit", {"store_id": "X100", "visit_reason": "pickup", "staff_member": "Jo"}),
        (
            "Return Requested",
            {"order_id": "o-9", "return_reason": "too small", "item_condition": "like new", "return_policy": "30 days"},
        ),
        (
            "Warranty Registered",
            {"serial_number": "SN-44821", "purchase_date": "2025-03-02", "product_condition": "new"},
        ),
        ("Shipping Protection Added", {"shipping_insurance": 2.98, "package_protection": True, "carrier": "UPS"}),
        (
            "Subscription Renewed",
            {"plan": "Coffee Club", "interval": "monthly", "plan_id": "cc-12", "member_id": "C-771"},
        ),
        (
            "Appointment Booked",
            {
                "service": "Haircut",
                "stylist": "Maya",
                "location": "Downtown",
                "appointment_time": "2025-05-01T10:00:00Z",
            },
        ),
        ("Page Viewed", {"path": "/pages/returns", "title": "Return policy", "referrer": ""}),
        ("Quiz Completed", {"quiz": "skin type", "result": "combination", "recommended_sku": "A15"}),
        ("Listing Viewed", {"listing_id": "l-3", "condition": "used - good", "price": 120}),
        ("Product Viewed", {"product_id": "bk-1", "name": "Surfing Guide", "condition": "refurbished"}),
        ("Trade-in Quoted", {"device": "Galaxy A15", "device_condition": "cracked screen", "quote": 40}),
        ("Order Completed", {"order_id": "o-31", "payer_email": "buyer@example.com", "payer_id": "PAYERID42"}),
        ("Store Pickup Ready", {"store": "Oakland", "pickup_code": "E119", "order_id": "o-5"}),
        ("Tracking Updated", {"tracking_code": "1Z999AA10123456784", "carrier_code": "T80", "status": "in transit"}),
        ("Confirmation Sent", {"confirmation_code": "Z3A", "booking_ref": "ABC123"}),
        ("Error Shown", {"error_code": "B20", "page": "/checkout"}),
        ("Size Guide Viewed", {"size_code": "M32", "fit": "slim"}),
    ]
    for event, properties in extras:
        cases.append(Case(f"{event}: {', '.join(properties)}", track(event, properties), False))
    return cases


def ordinary_cases() -> list[Case]:
    return [
        *segment_spec_cases(),
        *shopify_cases(),
        *loyalty_cases(),
        *postal_cases(),
        *code_cases(),
        *marketing_cases(),
    ]


# Health information, as it arrives at a health brand.
HEALTH_NAMES = [
    ("diagnosis", "Type 2 diabetes"),
    ("diagnosis_code", "E11.9"),
    ("medication", "metformin 500 mg"),
    ("medications", ["lisinopril", "atorvastatin"]),
    ("prescription_id", "RX-88211"),
    ("rx_number", "6012345"),
    ("dosage", "20 mg"),
    ("treatment_plan", "physical therapy twice a week"),
    ("procedure", "colonoscopy"),
    ("surgery_date", "2025-02-11"),
    ("symptoms", "chest pain"),
    ("allergies", ["penicillin"]),
    ("condition", "asthma"),
    ("medical_condition", "hypertension"),
    ("pre_existing_conditions", "none"),
    ("insurance_provider", "Aetna"),
    ("insurance_member_id", "W123456789"),
    ("insuranceMemberId", "W987654321"),
    ("insurance_group_number", "GRP-7781"),
    ("policy_number", "PN-55123"),
    ("memberId", "MBR-0091"),
    ("medicaid_id", "MC-22119"),
    ("lab_result", "positive"),
    ("test_results", "A1C 7.2"),
    ("icd10", "F32.9"),
    ("cpt_code", "99213"),
    ("patient_id", "P-10021"),
    ("mrn", "0043321"),
    ("health_history", "smoker"),
    ("pregnancy_status", "second trimester"),
    ("hiv_status", "negative"),
    ("mental_health_notes", "anxious"),
    ("disease", "Crohn's"),
    ("copay", 25),
]
HEALTH_EVENTS = [
    "Appointment Booked",
    "Visit Completed",
    "Refill Requested",
    "Intake Form Submitted",
    "Telehealth Visit Started",
]
ICD_WITH_DOT = [
    "E11.9",
    "F32.9",
    "J45.909",
    "I10.",
    "B20.",
    "Z34.00",
    "O09.91",
    "F41.1",
    "M54.5",
    "C50.911",
    "N18.3",
    "K21.9",
    "G43.909",
    "F90.0",
    "E66.9",
    "Z3A.20",
    "T80.0XXA",
    "A15.0",
    "F10.20",
    "R51.9",
]
ICD_WITHOUT_DOT = [
    "E119",
    "F329",
    "J45909",
    "I10",
    "B20",
    "Z3400",
    "F411",
    "M545",
    "C50911",
    "N183",
    "K219",
    "G43909",
    "F900",
    "E669",
    "Z3A20",
    "T800XXA",
    "A150",
    "F1020",
    "R519",
    "M32",
]
CODE_NAMES = [
    "code",
    "dx",
    "dx_code",
    "icd",
    "diagnosis_codes",
    "primaryDx",
    "icd10_code",
    "reason_code",
    "codes",
    "claim_code",
]
FREE_TEXT = [
    "Patient is HIV positive",
    "Diagnosed with depression last spring",
    "tested positive for hepatitis C",
    "Started chemo on Monday",
    "Refill of Ozempic approved",
    "Her IVF cycle starts next week",
    "follow up on the biopsy",
    "Dx: E11.9, review in 3 months",
    "Asthma action plan updated",
    "Needs a new insulin pen",
    "Prescription for sertraline sent to pharmacy",
    "Pregnancy test booked",
    "Lab result ready: see portal",
    "Suboxone maintenance visit",
    "Sleep study shows sleep apnea; code G47.33",
    "Seen for anxiety disorder",
    "discuss ADHD medication options",
    "Chlamydia screening due",
    "Dementia care plan review",
    "Mammogram flagged for biopsy",
]


def health_cases() -> list[Case]:
    cases = []
    for index, (name, value) in enumerate(HEALTH_NAMES):
        event = HEALTH_EVENTS[index % len(HEALTH_EVENTS)]
        cases.append(Case(f"name {name}", track(event, {name: value, "clinic": "Downtown"}), True))
        cases.append(Case(f"nested {name}", track(event, {"visit": {"id": f"v-{index}", name: value}}), True))
        cases.append(
            Case(
                f"list member {name}",
                track("Refill Shipped", {"order_id": "o-1", "items": [{"sku": "A1", name: value}]}),
                True,
            )
        )
        cases.append(
            Case(
                f"renamed {name}",
                track(event, {name: value}),
                True,
                mappings={
                    "event_name": "event",
                    "email": "context.traits.email",
                    "properties.Note": f"properties.{name}",
                },
            )
        )
    for index, name in enumerate(["diagnosis", "patient_id", "insurance_member_id", "mrn", "prescription_id"]):
        cases.append(
            Case(
                f"identifier from {name}",
                track("Visit Completed", {name: f"ID-{index}"}),
                True,
                mappings={"event_name": "event", "email": "context.traits.email", "external_id": f"properties.{name}"},
            )
        )
        cases.append(
            Case(
                f"custom identifier {name}",
                track("Visit Completed", {"value": f"ID-{index}"}),
                True,
                mappings={
                    "event_name": "event",
                    "email": "context.traits.email",
                    f"custom_identifiers.{name}": "properties.value",
                },
            )
        )
        cases.append(
            Case(f"attribute {name}", identify({name: f"ID-{index}"}), True, "user_attributes", dict(WHOLE_TRAITS))
        )
    for index, code in enumerate(ICD_WITH_DOT):
        name = ("note", "value", "reason", "detail", "code")[index % 5]
        cases.append(Case(f"dotted {code} in {name}", track(HEALTH_EVENTS[index % 5], {name: code}), True))
    for index, code in enumerate(ICD_WITHOUT_DOT):
        name = CODE_NAMES[index % len(CODE_NAMES)]
        cases.append(Case(f"dotless {code} under {name}", track(HEALTH_EVENTS[index % 5], {name: code}), True))
        cases.append(
            Case(
                f"dotless {code} in a list of codes",
                track("Claim Submitted", {"claim": {"codes": [code, "Z00.00"]}}),
                True,
            )
        )
    for index, text in enumerate(FREE_TEXT):
        name = ("note", "message", "comment", "description")[index % 4]
        cases.append(Case(f"free text {index}", track("Message Sent", {name: text}), True))
    cases.append(Case("event name", track("Prescription Refilled", {"order_id": "o-1"}), True))
    cases.append(Case("event name with a word", track("HIV Test Booked", {"slot": "09:00"}), True))
    return cases
