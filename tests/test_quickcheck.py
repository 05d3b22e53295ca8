"""stores.woocommerce.quickcheck: whatever it vouches for, the mapper accepts; and it vouches for what stores send."""

import json
from typing import Optional

import msgspec
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from stores.errors import MappingError
from stores.woocommerce import shapes
from stores.woocommerce.mapping import map_order, map_product
from stores.woocommerce.quickcheck import LineItemShape, OrderShape, ProductShape, order_maps, product_maps
from tests.fixtures import delivery_names, load_delivery, load_rest
from tests.payload_edits import DELETE, JSON_VALUES, apply_mutations, mutate, mutations

ORDER = load_delivery("04").json()
PRODUCT = load_delivery("06").json()
VARIATION = load_delivery("07").json()
REST_ORDERS = load_rest("orders_modified_after_page1_200")["body"]
REST_PRODUCTS = load_rest("products_page_with_variable_200")["body"]


def encoded(payload) -> bytes:
    """A payload as a store would send it (NaN and infinities as Python's json writes them)."""
    return json.dumps(payload).encode()


def accepts(mapper, body: bytes) -> bool:
    """Whether the mapper accepts the body as the standard parser reads it."""
    try:
        mapper(json.loads(body))
    except (MappingError, ValueError, RecursionError):
        return False
    return True


def assert_vouched_only_if_mapped(body: bytes) -> None:
    if order_maps(body):
        assert accepts(map_order, body), f"quick check vouched for an order the mapper refuses: {body[:300]!r}"
    if product_maps(body):
        assert accepts(map_product, body), f"quick check vouched for a product the mapper refuses: {body[:300]!r}"


# ---------------------------------------------------------------- what stores send takes the quick path


@pytest.mark.parametrize("name", [name for name in delivery_names() if load_delivery(name).topic in {
    "order.created", "order.updated", "product.created", "product.updated"}])  # fmt: skip
def test_every_real_order_and_product_delivery_is_vouched_for(name):
    delivery = load_delivery(name)
    check = order_maps if delivery.topic.startswith("order.") else product_maps
    assert check(delivery.body)


@pytest.mark.parametrize("payload", [*REST_ORDERS, *REST_PRODUCTS], ids=lambda payload: f"rest-{payload['id']}")
def test_every_real_polled_order_and_product_is_vouched_for(payload):
    check = order_maps if "line_items" in payload else product_maps
    assert check(encoded(payload))


# ---------------------------------------------------------------- one declaration for both


class RecordingDict(dict):
    """A JSON object that remembers which keys were asked for."""

    def __init__(self, value, asked):
        super().__init__(value)
        self.asked = asked

    def get(self, key, default=None):
        self.asked.add(key)
        return super().get(key, default)


def declared(shape) -> set[str]:
    return {field.name for field in msgspec.structs.fields(shape)}


def test_map_order_reads_exactly_the_fields_of_the_order_struct():
    order_fields, item_fields = set(), set()
    payload = RecordingDict(ORDER, order_fields)
    payload["line_items"] = [RecordingDict(item, item_fields) for item in ORDER["line_items"]]
    map_order(payload)
    assert order_fields == declared(OrderShape)
    assert item_fields == declared(LineItemShape)


@pytest.mark.parametrize("payload", [PRODUCT, VARIATION], ids=["simple", "variation"])
def test_map_product_reads_exactly_the_fields_of_the_product_struct(payload):
    fields = set()
    map_product(RecordingDict(payload, fields))
    assert fields == declared(ProductShape)


@pytest.mark.parametrize("shape", [shapes.ORDER, shapes.LINE_ITEM, shapes.PRODUCT], ids=lambda shape: shape.name)
def test_each_struct_is_built_field_by_field_from_its_shape(shape):
    built = {field.name: field for field in msgspec.structs.fields(shape.struct)}
    assert list(built) == [field.name for field in shape.fields]
    for field in shape.fields:
        assert built[field.name].required == field.required, field.name
        assert built[field.name].type == (field.kind.quick if field.required else Optional[field.kind.quick]), field.name


# A value no kind takes: not an id, text, number, date, boolean, list, or an address of strings.
REFUSED_BY_EVERY_KIND = {"not": ["a value of any kind"]}
DECLARED_FIELDS = (
    [(ORDER, (field.name,), field) for field in shapes.ORDER.fields]
    + [(ORDER, ("line_items", 0, field.name), field) for field in shapes.LINE_ITEM.fields]
    + [(base, (field.name,), field) for base in (PRODUCT, VARIATION) for field in shapes.PRODUCT.fields]
)


@pytest.mark.parametrize(
    ("base", "path", "field"), DECLARED_FIELDS, ids=[f"{base['id']}-{'.'.join(map(str, path))}" for base, path, _ in DECLARED_FIELDS]
)
def test_every_declared_field_is_checked_by_the_quick_check_and_named_by_the_mapper(base, path, field):
    mapper, check = (map_order, order_maps) if base is ORDER else (map_product, product_maps)
    name = path[0] if len(path) == 1 else f"{path[0]}[{path[1]}].{path[2]}"
    for value in [REFUSED_BY_EVERY_KIND, *([DELETE, None] if field.required else [])]:
        body = encoded(mutate(base, path, value))
        assert not check(body), (path, value)
        with pytest.raises(MappingError) as raised:
            mapper(json.loads(body))
        assert raised.value.field == name or raised.value.field.startswith(f"{name}."), (path, value)  # an address names its part


# ---------------------------------------------------------------- never wider than the mapper

# Values at the edges of the mapper's rules, where a shape could be wider than the mapper.
EDGES = [
    # ids: digits that are not ASCII, a trailing newline ("$" in a pattern would match before it), zero, 64-bit bounds
    "123\n", "\n123", "0", "00", "007", "\u0661\u0662", "123 ", " 123", "+5", "-5",
    "9223372036854775807", "9223372036854775808", "18446744073709551615", "18446744073709551616",
    2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63) + 1, -(2**63), 10**38, -(10**38), 0, -1, 1,
    # money: floats near zero and large (the mapper counts the digits of their str()), long strings, exponents
    1e-20, 1e-21, 1.2345678901234567e-20, 1.2345678901234567e-21, 1.2345678901234567e-25, 1e15, 1.5e15,
    1e16, 1e300, -0.0, 5e-324, 8.99, "1" * 38, "1" * 39, "1." + "1" * 36, "-" + "1" * 37, "-" + "1" * 38,
    "1e5", "1.", ".5", "-0", "-0.00", "00.10", "17.98\n", "", "NaN",
    # dates: leap days, impossible days and hours, fractions, offsets, separators, year 0
    "2024-02-29T00:00:00", "2026-02-29T00:00:00", "2026-02-30T00:00:00", "2026-04-31T00:00:00",
    "2026-11-27T24:00:00", "2026-11-27T23:59:60", "0000-01-01T00:00:00", "0999-01-01T00:00:00",
    "9999-12-31T23:59:59", "2026-11-27T10:27:37Z", "2026-11-27T10:27:37.5", "2026-11-27T10:27:37+01:00",
    "2026-11-27 10:27:37", "2026-11-27t10:27:37", "2026-11-27T10:27:37\n", "2026-11-27",
    # everything else
    "parent", "variation", "simple", True, False, None, [], [None], {}, {"a": None}, {"a": 1},
]  # fmt: skip
EDGE_VALUES = st.one_of(
    st.sampled_from(EDGES),
    st.just(DELETE),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.from_regex(r"\A-?[0-9]{1,40}(\.[0-9]{0,40})?\n?\Z"),
    st.datetimes().map(lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%S")),
    JSON_VALUES,
)


def field_paths(shape, base, prefix=()):
    """The paths of a shape's fields in `base` (line items and address parts included)."""
    for name in declared(shape):
        yield (*prefix, name)
        if name == "line_items":
            for index in range(len(base.get("line_items") or ())):
                for item_name in declared(LineItemShape):
                    yield (*prefix, name, index, item_name)
        if name in ("billing", "shipping") and isinstance(base.get(name), dict):
            yield from ((*prefix, name, part) for part in (*base[name], "new_part"))


ORDER_PATHS = sorted(field_paths(OrderShape, ORDER), key=str)
PRODUCT_PATHS = sorted(field_paths(ProductShape, VARIATION), key=str)
SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize(
    ("base", "path"),
    [(ORDER, path) for path in ORDER_PATHS] + [(base, path) for base in (PRODUCT, VARIATION) for path in PRODUCT_PATHS],
    ids=str,
)
def test_every_field_at_every_edge_is_vouched_for_only_if_the_mapper_accepts(base, path):
    for value in [*EDGES, DELETE]:
        assert_vouched_only_if_mapped(encoded(apply_mutations(base, [(path, value)])))


@SETTINGS
@given(edits=st.lists(st.tuples(st.sampled_from(ORDER_PATHS), EDGE_VALUES), min_size=1, max_size=3))
@example(edits=[(("id",), "123\n")])
@example(edits=[(("date_modified_gmt",), "2026-02-30T10:00:00")])
@example(edits=[(("line_items", 0, "price"), 1.2345678901234567e-25)])
@example(edits=[(("total",), "1" * 39 + ".5")])
@example(edits=[(("customer_id",), 2**64)])
def test_order_fields_at_their_edges_are_vouched_for_only_if_the_mapper_accepts(edits):
    assert_vouched_only_if_mapped(encoded(apply_mutations(ORDER, edits)))


@SETTINGS
@given(base=st.sampled_from([PRODUCT, VARIATION]), edits=st.lists(st.tuples(st.sampled_from(PRODUCT_PATHS), EDGE_VALUES), min_size=1, max_size=3))
@example(base=VARIATION, edits=[(("parent_id",), 0)])
@example(base=VARIATION, edits=[(("parent_id",), "0")])
@example(base=VARIATION, edits=[(("type",), DELETE), (("parent_id",), DELETE)])
@example(base=PRODUCT, edits=[(("manage_stock",), "parent")])
def test_product_fields_at_their_edges_are_vouched_for_only_if_the_mapper_accepts(base, edits):
    assert_vouched_only_if_mapped(encoded(apply_mutations(base, edits)))


@SETTINGS
@given(data=st.data())
def test_mutated_real_bodies_are_vouched_for_only_if_the_mapper_accepts(data):
    base = data.draw(st.sampled_from([ORDER, PRODUCT, VARIATION, *REST_ORDERS]), label="base")
    payload = apply_mutations(base, data.draw(mutations(base), label="edits"))
    assume(payload is not DELETE)  # the edit that deletes the body itself
    assert_vouched_only_if_mapped(encoded(payload))


@pytest.mark.parametrize(
    "body",
    [
        b"[]", b"null", b"17", b'"order"', b"{", b"", b"\xff\xfe", b'{"id": NaN}',
        b'{"id":1,"date_modified_gmt":"2026-11-27T10:27:37","total":NaN}',
        b'{"id":1,"date_modified_gmt":"2026-11-27T10:27:37","total":Infinity}',
        b'{"id":1,"date_modified_gmt":"2026-11-27T10:27:37","total":1e400}',
        b'{"id":1,"date_modified_gmt":"2026-11-27T10:27:37","status":"\\ud800"}',
        b'{"id":1,"date_modified_gmt":"2026-11-27T10:27:37","x":' + b"[" * 5000 + b"]" * 5000 + b"}",
        b'{"id":1,"id":"x","date_modified_gmt":"2026-11-27T10:27:37","type":"simple"}',
        b'{"id":"x","id":1,"date_modified_gmt":"2026-11-27T10:27:37","type":"simple"}',
    ],
)  # fmt: skip
def test_bodies_that_are_not_plain_json_objects_are_left_to_the_mapper_or_agree_with_it(body):
    assert_vouched_only_if_mapped(body)


def test_duplicate_keys_are_read_as_the_standard_parser_reads_them_the_last_one_wins():
    body = encoded(ORDER)[:-1] + b',"id":"not an id"}'
    assert not order_maps(body)
    assert not accepts(map_order, body)
    assert order_maps(encoded(ORDER)[:-1] + b',"id":"77"}')


def test_leap_days_offsets_and_wide_ids_are_left_to_the_mapper_which_accepts_them():
    for path, value in [
        (("date_modified_gmt",), "2024-02-29T10:00:00"),
        (("date_paid_gmt",), "2026-11-27T10:27:37+00:00"),
        (("id",), 2**64 - 1),
        (("line_items", 0, "price"), 1e-25),
    ]:
        body = encoded(mutate(ORDER, path, value))
        assert not order_maps(body), path
        assert accepts(map_order, body), path
