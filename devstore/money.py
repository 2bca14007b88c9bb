"""Money: amounts are Decimals in the order's currency; formatting differs between GraphQL and REST.

GraphQL ``Decimal`` prints the shortest form with at least one decimal ("10.0", "12.5", "2629.95"), as
every recording shows. REST (webhook) prices use the currency's own precision: "10.00" for USD, "15000"
for KRW and JPY, which have no minor unit. GraphQL's ``Money`` scalar (``ProductVariant.price``) is printed
like REST ("949.95", "2629.95" in the order-edit recordings; that "89.00" keeps its trailing zero is our
reading of Shopify's "a monetary value string" and not recorded).

Taxes are a rate applied per line and rounded per line, either on top of the price or included in it.
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


def money_scalar(amount: Decimal, currency: str) -> str:
    """GraphQL ``Money`` (a variant's price): the currency's own precision, like REST."""
    return rest_amount(amount, currency)


def price_in(amount: Decimal, source: str, target: str) -> Decimal:
    """A catalogue price in ``source`` as the price a shop in ``target`` charges: converted at the demo
    rates, then rounded to the price points shops use (won to 100, yen to 10, others to the cent)."""
    if source == target:
        return quantize(amount, target)
    value = amount * RATES_TO_USD.get(source, Decimal(1)) / RATES_TO_USD.get(target, Decimal(1))
    if target == "KRW":
        return (value / 100).quantize(Decimal(1)) * 100
    if target == "JPY":
        return (value / 10).quantize(Decimal(1)) * 10
    return quantize(value, target)


def tax_on(amount: Decimal, rate: Decimal, currency: str, *, included: bool) -> Decimal:
    """The tax in (``included``) or on top of ``amount`` at ``rate``, rounded to the currency."""
    if included:
        return quantize(amount * rate / (1 + rate), currency)
    return quantize(amount * rate, currency)
