"""The reasons a new shop's policy starts with. The data migration seeds them as editable template rows;
a policy created where those rows are gone (a flushed database) falls back to this list."""

DEFAULT_REASONS = [
    # code, English, Korean, requires text
    ("changed_my_mind", "Changed my mind", "마음이 바뀌었어요", False),
    ("ordered_by_mistake", "Ordered by mistake", "실수로 주문했어요", False),
    ("wrong_size_or_variant", "Wrong size or variant", "사이즈나 옵션을 잘못 선택했어요", False),
    ("found_better_price", "Found a better price", "더 저렴한 곳을 찾았어요", False),
    ("delivery_too_slow", "Delivery is too slow", "배송이 너무 느려요", False),
    ("wrong_address", "Wrong shipping address", "배송지를 잘못 입력했어요", False),
    ("other", "Other", "기타", True),
]
