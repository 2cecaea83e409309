"""The bench's DynamoDB capacity arithmetic follows DynamoDB's item size rules."""

from hookwire.cost_meter import IndexSpec, attribute_size, item_size, read_units, write_units


def test_item_size_counts_names_and_values_by_dynamodb_rules() -> None:
    # Given a string, a number, a list and a map attribute
    item = {"pk": {"S": "HOOK#h1"}, "n": {"N": "12345"}, "l": {"L": [{"S": "ab"}]}, "m": {"M": {"k": {"BOOL": True}}}}
    # Then each is its name plus its value: S by UTF-8 bytes, N by digits/2 + 1, L/M with 3 + 1 per element
    assert attribute_size({"N": "12345"}) == 4
    assert item_size(item) == (2 + 7) + (1 + 4) + (1 + 3 + 2 + 1) + (1 + 3 + 1 + 1 + 1)


def test_units_round_up_per_kilobyte_written_and_four_kilobytes_read() -> None:
    assert (write_units(1024), write_units(1025)) == (1, 2)
    assert (read_units(4096, consistent=True), read_units(4097, consistent=False)) == (1, 1.0)


def test_a_sparse_keys_only_index_copies_only_items_with_its_keys() -> None:
    index = IndexSpec(name="by_event", keys=("event_pk",), projection="KEYS_ONLY", included=())
    item = {"pk": {"S": "a"}, "sk": {"S": "b"}, "doc": {"S": "x" * 500}}
    assert index.copy_size(item, ("pk", "sk")) is None
    assert index.copy_size({**item, "event_pk": {"S": "e"}}, ("pk", "sk")) == (2 + 1) + (2 + 1) + (8 + 1) + 100
