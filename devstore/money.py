"""Money: amounts are Decimals in the order's currency; formatting differs between GraphQL and REST.

GraphQL ``Decimal`` prints the shortest form with at least one decimal ("10.0", "12.5", "2629.95"), as
every recording shows. REST (webhook) prices use the currency's own precision: "10.00" for USD, "15000"
for KRW and JPY, which have no minor unit.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

ZERO_DECIMAL_CURRENCIES = {"KRW", "JPY"}

# Fixed demo exchange rates to USD, only used when an order's presentment currency differs.
RATES_TO_USD = {
    "USD": Decimal("1"),
    "EUR": Decimal("1.08"),
    "GBP": Decimal("1.27"),
    "CAD": Decimal("0.73"),
    "JPY": Decimal("0.0067"),
    "KRW": Decimal("0.00073"),
}


def digits(currency: str) -> int:
    return 0 if currency in ZERO_DECIMAL_CURRENCIES else 2


def to_decimal(value: object) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def quantize(amount: Decimal, currency: str) -> Decimal:
    exp = Decimal(1).scaleb(-digits(currency))
    return amount.quantize(exp, rounding=ROUND_HALF_UP)


def convert(amount: Decimal, source: str, target: str) -> Decimal:
    if source == target:
        return amount
    usd = amount * RATES_TO_USD.get(source, Decimal(1))
    return quantize(usd / RATES_TO_USD.get(target, Decimal(1)), target)


def gql_amount(amount: Decimal) -> str:
    text = format(amount.normalize(), "f")
    if "." not in text:
        text += ".0"
    return text


def rest_amount(amount: Decimal, currency: str) -> str:
    return format(quantize(amount, currency), "f")
