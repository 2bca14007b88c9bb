"""Countries and provinces the devstore knows: enough to validate addresses the way Shopify does."""

from __future__ import annotations

COUNTRY_NAMES = {
    "KR": "South Korea",
    "US": "United States",
    "CA": "Canada",
    "JP": "Japan",
    "DE": "Germany",
    "GB": "United Kingdom",
    "FR": "France",
    "AU": "Australia",
}

# What Shopify calls the province and postal code in each country's address form (used in messages).
PROVINCE_LABEL = {"US": "State", "JP": "Prefecture"}
ZIP_LABEL = {"US": "ZIP code", "GB": "postcode"}

PROVINCES: dict[str, dict[str, str]] = {
    "US": {
        "AL": "Alabama",
        "AK": "Alaska",
        "AZ": "Arizona",
        "AR": "Arkansas",
        "CA": "California",
        "CO": "Colorado",
        "CT": "Connecticut",
        "DE": "Delaware",
        "DC": "District of Columbia",
        "FL": "Florida",
        "GA": "Georgia",
        "HI": "Hawaii",
        "ID": "Idaho",
        "IL": "Illinois",
        "IN": "Indiana",
        "IA": "Iowa",
        "KS": "Kansas",
        "KY": "Kentucky",
        "LA": "Louisiana",
        "ME": "Maine",
        "MD": "Maryland",
        "MA": "Massachusetts",
        "MI": "Michigan",
        "MN": "Minnesota",
        "MS": "Mississippi",
        "MO": "Missouri",
        "MT": "Montana",
        "NE": "Nebraska",
        "NV": "Nevada",
        "NH": "New Hampshire",
        "NJ": "New Jersey",
        "NM": "New Mexico",
        "NY": "New York",
        "NC": "North Carolina",
        "ND": "North Dakota",
        "OH": "Ohio",
        "OK": "Oklahoma",
        "OR": "Oregon",
        "PA": "Pennsylvania",
        "RI": "Rhode Island",
        "SC": "South Carolina",
        "SD": "South Dakota",
        "TN": "Tennessee",
        "TX": "Texas",
        "UT": "Utah",
        "VT": "Vermont",
        "VA": "Virginia",
        "WA": "Washington",
        "WV": "West Virginia",
        "WI": "Wisconsin",
        "WY": "Wyoming",
        "PR": "Puerto Rico",
    },
    "CA": {
        "AB": "Alberta",
        "BC": "British Columbia",
        "MB": "Manitoba",
        "NB": "New Brunswick",
        "NL": "Newfoundland and Labrador",
        "NS": "Nova Scotia",
        "NT": "Northwest Territories",
        "NU": "Nunavut",
        "ON": "Ontario",
        "PE": "Prince Edward Island",
        "QC": "Quebec",
        "SK": "Saskatchewan",
        "YT": "Yukon",
    },
    "JP": {
        "JP-01": "Hokkaidō",
        "JP-04": "Miyagi",
        "JP-11": "Saitama",
        "JP-12": "Chiba",
        "JP-13": "Tokyo",
        "JP-14": "Kanagawa",
        "JP-23": "Aichi",
        "JP-26": "Kyōto",
        "JP-27": "Ōsaka",
        "JP-28": "Hyōgo",
        "JP-34": "Hiroshima",
        "JP-40": "Fukuoka",
        "JP-47": "Okinawa",
    },
    "KR": {
        "KR-11": "Seoul",
        "KR-26": "Busan",
        "KR-27": "Daegu",
        "KR-28": "Incheon",
        "KR-29": "Gwangju",
        "KR-30": "Daejeon",
        "KR-31": "Ulsan",
        "KR-41": "Gyeonggi",
        "KR-42": "Gangwon",
        "KR-43": "Chungbuk",
        "KR-44": "Chungnam",
        "KR-45": "Jeonbuk",
        "KR-46": "Jeonnam",
        "KR-47": "Gyeongbuk",
        "KR-48": "Gyeongnam",
        "KR-49": "Jeju",
        "KR-50": "Sejong",
    },
    "AU": {
        "ACT": "Australian Capital Territory",
        "NSW": "New South Wales",
        "NT": "Northern Territory",
        "QLD": "Queensland",
        "SA": "South Australia",
        "TAS": "Tasmania",
        "VIC": "Victoria",
        "WA": "Western Australia",
    },
}

COUNTRIES_WITHOUT_ZIP: set[str] = set()


def country_name(code: str | None) -> str | None:
    if code is None:
        return None
    return COUNTRY_NAMES.get(code, code)


def province_name(country: str | None, code: str | None) -> str | None:
    if not country or not code:
        return None
    return PROVINCES.get(country, {}).get(code)


def validate_address(address: dict) -> list[tuple[list[str], str]]:
    """Shopify's shipping-address checks, in the order Shopify reports them.

    ``address`` uses GraphQL input keys (firstName, lastName, address1, city, countryCode, provinceCode,
    zip). Mirrors orderUpdate-input-validation.json: a US address with provinceCode "ON" and no last
    name or ZIP gets, in this order, lastName, zip, province errors.
    """
    errors: list[tuple[list[str], str]] = []
    country = address.get("countryCode")
    if not address.get("lastName"):
        errors.append((["shippingAddress", "lastName"], "Enter a last name"))
    if not address.get("address1"):
        errors.append((["shippingAddress", "address1"], "Enter an address"))
    if not address.get("city"):
        errors.append((["shippingAddress", "city"], "Enter a city"))
    if country and country not in COUNTRIES_WITHOUT_ZIP and not address.get("zip"):
        errors.append((["shippingAddress", "zip"], f"Enter a {ZIP_LABEL.get(country, 'postal code')}"))
    if country in PROVINCES:
        code = address.get("provinceCode")
        label = PROVINCE_LABEL.get(country, "Province")
        if not code:
            errors.append((["shippingAddress", "province"], f"Select a {label.lower()}"))
        elif code not in PROVINCES[country]:
            name = COUNTRY_NAMES.get(country, country)
            errors.append(
                (["shippingAddress", "province"], f"{label} is not a valid {label.lower()} in {name}")
            )
    if not country:
        errors.append((["shippingAddress", "country"], "Select a country/region"))
    elif country not in COUNTRY_NAMES:
        errors.append((["shippingAddress", "country"], "Country is not supported"))
    return errors
