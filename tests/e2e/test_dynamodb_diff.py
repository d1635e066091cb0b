"""Differential tests of fx's DynamoDB against `python3 -m moto.server`: the same requests, sent
raw (the JSON 1.0 protocol, so malformed ones too) to both, the answers compared field by field
after normalising what legitimately differs (times, ids, ARNs' account, request ids, consumed
capacity). moto is a reference, not the truth: every difference that remains is listed in
MOTO_DEVIATIONS with why fx follows DynamoDB's documentation instead, and the test checks that
moto still answers as the list says (so a stale explanation fails too).

Then tests/dynamodb/expressions.json (expressions with DynamoDB's own answers and moto's, made
by the expression helper) is replayed end to end against both: fx must give DynamoDB's answer,
and moto the answer the file records for it.
"""
import copy
import decimal
import json
import os
import re

from awstest import DifferentialCase, json_protocol_call
from fxtest import main


EXPRESSIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "dynamodb", "expressions.json")
def call(url, op, body, target_prefix="DynamoDB_20120810."):
    """One raw request: (status, answer as JSON or text)."""
    return json_protocol_call(url, target_prefix + op, body, "dynamodb")


def error_of(answer):
    """(type, message) of an error answer, None for a success."""
    status, body = answer
    if status == 200:
        return None
    if not isinstance(body, dict):
        return (str(status), "not JSON")
    return (body.get("__type", "").rsplit("#", 1)[-1], body.get("message", body.get("Message")))


# IndexArn and ProvisionedThroughput.NumberOfDecreasesToday are in DynamoDB's index and table
# descriptions (its API reference); moto leaves them out of some.
DROP = {"IndexArn", "NumberOfDecreasesToday", "CreationDateTime", "TableId", "LastUpdateToPayPerRequestDateTime", "ConsumedCapacity",
        "LastIncreaseDateTime", "LastDecreaseDateTime"}


def number(text):
    """A number's value. moto returns numbers as they were written ("1.500", "-0.0", "1E-130");
    DynamoDB trims leading and trailing zeros (its documentation's Number type) and fx does as
    DynamoDB does (core/dynamodb's value tests check the exact text), so numbers compare by value."""
    try:
        d = decimal.Decimal(text)
    except decimal.InvalidOperation:
        return text
    return "0" if d == 0 else str(d.normalize())


def normalise(value, op=None):
    """What legitimately differs between two correct answers, taken out."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in DROP:
                continue
            if k == "N" and isinstance(v, str):
                out[k] = number(v)
                continue
            if k == "NS" and isinstance(v, list):
                out[k] = sorted(number(x) for x in v if isinstance(x, str))
                continue
            # DynamoDB returns ItemCollectionMetrics only when ReturnItemCollectionMetrics is
            # SIZE (and only for tables with local indexes); moto adds an empty one.
            if k == "ItemCollectionMetrics" and v == {}:
                continue
            if k in ("LatestStreamLabel",):
                out[k] = "LABEL" if re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+", str(v)) else v
                continue
            if isinstance(v, str) and v.startswith("arn:aws:dynamodb:"):
                v = re.sub(r":\d{12}:", ":ACCOUNT:", v)
                v = re.sub(r"/stream/[0-9T:.-]+$", "/stream/LABEL", v)
            # moto lists indexes a table does not have as [] (AWS leaves the member out).
            if k in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes") and v == []:
                continue
            # moto does not count index entries, nor table bytes (DynamoDB does, every six
            # hours or so: a local table's are always current).
            if k in ("IndexSizeBytes", "TableSizeBytes") or (k == "ItemCount" and "IndexName" in value):
                continue
            out[k] = normalise(v, op)
        if op == "Scan" and isinstance(out.get("Items"), list):
            # Scan's order is unspecified; moto's is insertion order, fx's key order.
            out["Items"] = sorted(out["Items"], key=lambda i: json.dumps(i, sort_keys=True))
        for set_type in ("SS", "NS", "BS"):  # sets are unordered
            if set_type in out and isinstance(out[set_type], list):
                out[set_type] = sorted(out[set_type])
        return out
    if isinstance(value, list):
        return [normalise(v, op) for v in value]
    return value


def diff_paths(a, b, path="", out=None):
    """Where two normalised answers differ: ["Table.ItemCount: 33 != 34", ...]."""
    out = [] if out is None else out
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{path}{k}: only in {'fx' if k in a else 'moto'}")
            else:
                diff_paths(a[k], b[k], f"{path}{k}.", out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            diff_paths(x, y, f"{path}[{i}].", out)
    elif isinstance(a, list) and isinstance(b, list):
        ta, tb = [json.dumps(x, sort_keys=True) for x in a], [json.dumps(x, sort_keys=True) for x in b]
        out.append(f"{path.rstrip('.')}: only in fx {[x[:200] for x in ta if x not in tb]}, "
                   f"only in moto {[x[:200] for x in tb if x not in ta]}")
    elif a != b:
        out.append(f"{path.rstrip('.')}: {json.dumps(a)[:300]} != {json.dumps(b)[:300]}")
    return out


def S(v):
    return {"S": v}


def N(v):
    return {"N": str(v)}


def key_schema(*keys):
    return [{"AttributeName": k, "KeyType": "HASH" if i == 0 else "RANGE"} for i, k in enumerate(keys)]


def defs(**types):
    return [{"AttributeName": k, "AttributeType": t} for k, t in types.items()]


# (step, operation, request). A step's name is what MOTO_DEVIATIONS refers to.
def steps():
    out = []

    def add(name, op, body):
        out.append((name, op, body))

    # --- Tables
    add("create simple", "CreateTable", {"TableName": "simple", "KeySchema": key_schema("pk"),
                                         "AttributeDefinitions": defs(pk="S"), "BillingMode": "PAY_PER_REQUEST"})
    add("create provisioned", "CreateTable", {
        "TableName": "prov", "KeySchema": key_schema("pk", "sk"), "AttributeDefinitions": defs(pk="S", sk="N"),
        "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}})
    add("create with indexes and stream", "CreateTable", {
        "TableName": "orders", "KeySchema": key_schema("customer", "order"),
        "AttributeDefinitions": defs(customer="S", order="N", status="S", placed="S"),
        "BillingMode": "PAY_PER_REQUEST",
        "GlobalSecondaryIndexes": [{"IndexName": "by-status", "KeySchema": key_schema("status", "order"),
                                    "Projection": {"ProjectionType": "ALL"}}],
        "LocalSecondaryIndexes": [{"IndexName": "by-placed", "KeySchema": key_schema("customer", "placed"),
                                   "Projection": {"ProjectionType": "KEYS_ONLY"}}],
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}})
    add("create binary keys", "CreateTable", {"TableName": "bin", "KeySchema": key_schema("pk", "sk"),
                                              "AttributeDefinitions": defs(pk="B", sk="B"),
                                              "BillingMode": "PAY_PER_REQUEST"})
    # Requests moto takes and DynamoDB refuses (or the reverse) write to this table only, so that
    # the two stores hold the same items where the later steps compare them.
    add("create scratch", "CreateTable", {
        "TableName": "scratch", "KeySchema": key_schema("pk"), "AttributeDefinitions": defs(pk="S", email="S"),
        "BillingMode": "PAY_PER_REQUEST",
        "GlobalSecondaryIndexes": [{"IndexName": "by-email", "KeySchema": key_schema("email"),
                                    "Projection": {"ProjectionType": "KEYS_ONLY"}}]})
    add("create existing", "CreateTable", {"TableName": "simple", "KeySchema": key_schema("pk"),
                                           "AttributeDefinitions": defs(pk="S"), "BillingMode": "PAY_PER_REQUEST"})
    add("create: undefined key attribute", "CreateTable", {
        "TableName": "bad1", "KeySchema": key_schema("pk"), "AttributeDefinitions": defs(other="S"),
        "BillingMode": "PAY_PER_REQUEST"})
    add("create: unused definition", "CreateTable", {
        "TableName": "bad2", "KeySchema": key_schema("pk"), "AttributeDefinitions": defs(pk="S", x="S"),
        "BillingMode": "PAY_PER_REQUEST"})
    add("create: no throughput", "CreateTable", {
        "TableName": "bad3", "KeySchema": key_schema("pk"), "AttributeDefinitions": defs(pk="S")})
    add("create: bad key type", "CreateTable", {
        "TableName": "bad4", "KeySchema": [{"AttributeName": "pk", "KeyType": "PARTITION"}],
        "AttributeDefinitions": defs(pk="S"), "BillingMode": "PAY_PER_REQUEST"})
    add("create: three keys", "CreateTable", {
        "TableName": "bad5", "KeySchema": key_schema("a", "b", "c"),
        "AttributeDefinitions": defs(a="S", b="S", c="S"), "BillingMode": "PAY_PER_REQUEST"})
    add("create: empty GSI list", "CreateTable", {
        "TableName": "bad6", "KeySchema": key_schema("pk"), "AttributeDefinitions": defs(pk="S"),
        "BillingMode": "PAY_PER_REQUEST", "GlobalSecondaryIndexes": []})
    add("create: short name", "CreateTable", {
        "TableName": "ab", "KeySchema": key_schema("pk"), "AttributeDefinitions": defs(pk="S"),
        "BillingMode": "PAY_PER_REQUEST"})
    add("create: bad name", "CreateTable", {
        "TableName": "a b c", "KeySchema": key_schema("pk"), "AttributeDefinitions": defs(pk="S"),
        "BillingMode": "PAY_PER_REQUEST"})
    add("create: throughput with on-demand", "CreateTable", {
        "TableName": "bad7", "KeySchema": key_schema("pk"), "AttributeDefinitions": defs(pk="S"),
        "BillingMode": "PAY_PER_REQUEST", "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}})
    for name in ("simple", "prov", "orders", "bin"):
        add(f"describe {name}", "DescribeTable", {"TableName": name})
    add("describe missing", "DescribeTable", {"TableName": "nosuch"})
    add("list tables", "ListTables", {})
    add("list tables: limit 2", "ListTables", {"Limit": 2})
    add("list tables: after bin", "ListTables", {"ExclusiveStartTableName": "bin"})
    add("list tables: limit 0", "ListTables", {"Limit": 0})
    add("describe ttl", "DescribeTimeToLive", {"TableName": "simple"})
    add("enable ttl", "UpdateTimeToLive", {"TableName": "simple",
                                           "TimeToLiveSpecification": {"Enabled": True, "AttributeName": "exp"}})
    add("describe ttl on", "DescribeTimeToLive", {"TableName": "simple"})
    add("ttl of missing table", "DescribeTimeToLive", {"TableName": "nosuch"})
    arn = "arn:aws:dynamodb:us-east-1:ACCOUNT:table/simple"
    add("tag", "TagResource", {"ResourceArn": arn, "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]})
    add("list tags", "ListTagsOfResource", {"ResourceArn": arn})
    add("untag", "UntagResource", {"ResourceArn": arn, "TagKeys": ["a"]})
    add("list tags after untag", "ListTagsOfResource", {"ResourceArn": arn})
    add("tags of missing table", "ListTagsOfResource",
        {"ResourceArn": "arn:aws:dynamodb:us-east-1:ACCOUNT:table/nosuch"})
    add("update billing", "UpdateTable", {"TableName": "prov", "ProvisionedThroughput": {
        "ReadCapacityUnits": 7, "WriteCapacityUnits": 6}})
    add("update: add GSI", "UpdateTable", {
        "TableName": "simple", "AttributeDefinitions": defs(email="S"),
        "GlobalSecondaryIndexUpdates": [{"Create": {"IndexName": "by-email", "KeySchema": key_schema("email"),
                                                    "Projection": {"ProjectionType": "KEYS_ONLY"}}}]})
    add("update: missing table", "UpdateTable", {"TableName": "nosuch", "BillingMode": "PAY_PER_REQUEST"})

    # --- Items
    for i in range(10):
        add(f"put simple {i}", "PutItem", {"TableName": "simple", "Item": {
            "pk": S(f"k{i}"), "n": N(i), "s": S("x" * i), "email": S(f"u{i % 3}@x")}})
    add("put all types", "PutItem", {"TableName": "simple", "Item": {
        "pk": S("types"), "n": N("1.500"), "big": N("12345678901234567890123456789012345678"),
        "tiny": N("1E-130"), "neg": N("-0.0"), "b": {"B": "AAEC"}, "t": {"BOOL": False}, "z": {"NULL": True},
        "m": {"M": {"in": {"L": [S("a"), N(1), {"M": {}}]}}}, "ss": {"SS": ["b", "a"]}, "ns": {"NS": ["2", "1"]},
        "bs": {"BS": ["AQ==", "Ag=="]}, "empty": S("")}})
    add("get all types", "GetItem", {"TableName": "simple", "Key": {"pk": S("types")}})
    add("get consistent", "GetItem", {"TableName": "simple", "Key": {"pk": S("k1")}, "ConsistentRead": True})
    add("get missing", "GetItem", {"TableName": "simple", "Key": {"pk": S("none")}})
    add("get projection", "GetItem", {"TableName": "simple", "Key": {"pk": S("types")},
                                      "ProjectionExpression": "m.#in[0], ns", "ExpressionAttributeNames": {"#in": "in"}})
    add("get: wrong key type", "GetItem", {"TableName": "simple", "Key": {"pk": N(1)}})
    add("get: extra key", "GetItem", {"TableName": "simple", "Key": {"pk": S("a"), "x": S("b")}})
    add("get: missing table", "GetItem", {"TableName": "nosuch", "Key": {"pk": S("a")}})
    add("get: unused name", "GetItem", {"TableName": "simple", "Key": {"pk": S("k1")},
                                        "ProjectionExpression": "n", "ExpressionAttributeNames": {"#x": "x"}})
    add("put: return ALL_OLD", "PutItem", {"TableName": "simple", "Item": {"pk": S("k1"), "n": N(100)},
                                           "ReturnValues": "ALL_OLD"})
    add("put: return ALL_NEW refused", "PutItem", {"TableName": "simple", "Item": {"pk": S("k1")},
                                                   "ReturnValues": "ALL_NEW"})
    add("put: condition fails", "PutItem", {"TableName": "simple", "Item": {"pk": S("k1")},
                                            "ConditionExpression": "attribute_not_exists(pk)"})
    add("put: condition holds", "PutItem", {"TableName": "simple", "Item": {"pk": S("fresh"), "n": N(1)},
                                            "ConditionExpression": "attribute_not_exists(pk)"})
    add("put: condition fails, old returned", "PutItem", {
        "TableName": "simple", "Item": {"pk": S("fresh")}, "ConditionExpression": "n <> :one",
        "ExpressionAttributeValues": {":one": N(1)}, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"})
    add("put: missing key", "PutItem", {"TableName": "simple", "Item": {"n": N(1)}})
    add("put: key type mismatch", "PutItem", {"TableName": "simple", "Item": {"pk": N(1)}})
    add("put: empty key", "PutItem", {"TableName": "simple", "Item": {"pk": S("")}})
    add("put: empty set", "PutItem", {"TableName": "scratch", "Item": {"pk": S("e"), "ss": {"SS": []}}})
    add("put: duplicate set member", "PutItem", {"TableName": "scratch", "Item": {"pk": S("e"), "ss": {"SS": ["a", "a"]}}})
    add("put: two types in a value", "PutItem", {"TableName": "scratch", "Item": {"pk": S("e"), "v": {"S": "a", "N": "1"}}})
    add("put: no type", "PutItem", {"TableName": "scratch", "Item": {"pk": S("e"), "v": {}}})
    add("put: bad number", "PutItem", {"TableName": "scratch", "Item": {"pk": S("e"), "v": N("1..2")}})
    add("put: 39 digits", "PutItem", {"TableName": "scratch", "Item": {"pk": S("e"), "v": N("1" * 39)}})
    add("put: overflow", "PutItem", {"TableName": "scratch", "Item": {"pk": S("e"), "v": N("1E126")}})
    add("put: too big", "PutItem", {"TableName": "scratch", "Item": {"pk": S("e"), "v": S("x" * 409_600)}})
    add("put: hash key too long", "PutItem", {"TableName": "simple", "Item": {"pk": S("x" * 2049)}})
    add("put: range key too long", "PutItem", {"TableName": "bin", "Item": {"pk": {"B": "AA=="},
                                                                          "sk": {"B": "QUFB" * 342}}})
    add("put: GSI key wrong type", "PutItem", {"TableName": "scratch", "Item": {"pk": S("g"), "email": N(1)}})
    add("put: missing table", "PutItem", {"TableName": "nosuch", "Item": {"pk": S("a")}})
    add("put: unused value", "PutItem", {"TableName": "scratch", "Item": {"pk": S("a")},
                                         "ConditionExpression": "attribute_exists(pk)",
                                         "ExpressionAttributeValues": {":v": N(1)}})
    add("put: legacy Expected", "PutItem", {"TableName": "scratch", "Item": {"pk": S("a")},
                                            "Expected": {"pk": {"Exists": False}}})
    for i in range(5):
        add(f"update counter {i}", "UpdateItem", {
            "TableName": "simple", "Key": {"pk": S("counter")}, "UpdateExpression": "ADD hits :one SET lastI = :i",
            "ExpressionAttributeValues": {":one": N(1), ":i": N(i)}, "ReturnValues": "ALL_NEW"})
    for rv in ("NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"):
        add(f"update returning {rv}", "UpdateItem", {
            "TableName": "simple", "Key": {"pk": S("types")},
            "UpdateExpression": "SET n = n + :d, m.#in[1] = :s REMOVE z",
            "ExpressionAttributeNames": {"#in": "in"},
            "ExpressionAttributeValues": {":d": N("0.25"), ":s": S(rv)}, "ReturnValues": rv})
    add("update: list_append and if_not_exists", "UpdateItem", {
        "TableName": "simple", "Key": {"pk": S("lists")},
        "UpdateExpression": "SET l = list_append(if_not_exists(l, :empty), :more)",
        "ExpressionAttributeValues": {":empty": {"L": []}, ":more": {"L": [S("a"), S("b")]}},
        "ReturnValues": "ALL_NEW"})
    add("update: set add and delete", "UpdateItem", {
        "TableName": "simple", "Key": {"pk": S("types")}, "UpdateExpression": "ADD ss :c DELETE ns :one",
        "ExpressionAttributeValues": {":c": {"SS": ["c"]}, ":one": {"NS": ["1"]}}, "ReturnValues": "UPDATED_NEW"})
    add("update: key attribute", "UpdateItem", {"TableName": "simple", "Key": {"pk": S("types")},
                                                "UpdateExpression": "SET pk = :v", "ExpressionAttributeValues": {":v": S("x")}})
    add("update: condition fails", "UpdateItem", {"TableName": "simple", "Key": {"pk": S("types")},
                                                  "UpdateExpression": "SET q = :v", "ConditionExpression": "n > :big",
                                                  "ExpressionAttributeValues": {":v": S("x"), ":big": N(1000)}})
    add("update: syntax error", "UpdateItem", {"TableName": "simple", "Key": {"pk": S("types")},
                                               "UpdateExpression": "SET = :v", "ExpressionAttributeValues": {":v": S("x")}})
    add("update: undefined value", "UpdateItem", {"TableName": "simple", "Key": {"pk": S("types")},
                                                  "UpdateExpression": "SET a = :nope"})
    add("update: wrong operand type", "UpdateItem", {"TableName": "simple", "Key": {"pk": S("types")},
                                                     "UpdateExpression": "SET n = n + :s",
                                                     "ExpressionAttributeValues": {":s": S("x")}})
    add("update: path into nothing", "UpdateItem", {"TableName": "simple", "Key": {"pk": S("types")},
                                                    "UpdateExpression": "SET nothing.deeper = :s",
                                                    "ExpressionAttributeValues": {":s": S("x")}})
    add("update: no expression creates", "UpdateItem", {"TableName": "scratch", "Key": {"pk": S("bare")},
                                                        "ReturnValues": "ALL_NEW"})
    add("update: bad ReturnValues", "UpdateItem", {"TableName": "scratch", "Key": {"pk": S("bare")},
                                                   "ReturnValues": "EVERYTHING"})
    add("update: legacy AttributeUpdates", "UpdateItem", {"TableName": "scratch", "Key": {"pk": S("bare")},
                                                          "AttributeUpdates": {"a": {"Action": "DELETE"}}})
    add("get after updates", "GetItem", {"TableName": "simple", "Key": {"pk": S("types")}})
    add("delete: condition fails", "DeleteItem", {"TableName": "simple", "Key": {"pk": S("k2")},
                                                  "ConditionExpression": "n = :x", "ExpressionAttributeValues": {":x": N(99)}})
    add("delete: ALL_OLD", "DeleteItem", {"TableName": "simple", "Key": {"pk": S("k2")}, "ReturnValues": "ALL_OLD"})
    add("delete: missing item", "DeleteItem", {"TableName": "simple", "Key": {"pk": S("k2")}, "ReturnValues": "ALL_OLD"})
    add("delete: wrong key", "DeleteItem", {"TableName": "simple", "Key": {"nokey": S("k2")}})
    add("delete: missing table", "DeleteItem", {"TableName": "nosuch", "Key": {"pk": S("k2")}})

    # --- Condition, projection and update forms on one item
    add("put cond", "PutItem", {"TableName": "simple", "Item": {
        "pk": S("cond"), "n": N(5), "s": S("hello"), "l": {"L": [N(1), N(2), N(3)]},
        "m": {"M": {"a": {"M": {"b": S("c")}}}}, "ss": {"SS": ["x", "y"]}, "flag": {"BOOL": True},
        "nul": {"NULL": True}}})
    conditions = [
        ("n = :five", {":five": N(5)}), ("n <> :five", {":five": N(5)}), ("n < :six", {":six": N(6)}),
        ("n >= :six", {":six": N(6)}), ("n BETWEEN :a AND :b", {":a": N(1), ":b": N(5)}),
        ("n IN (:a, :b, :c)", {":a": N(1), ":b": N(5), ":c": N(9)}), ("begins_with(s, :h)", {":h": S("he")}),
        ("begins_with(s, :h)", {":h": S("lo")}), ("contains(s, :h)", {":h": S("ll")}),
        ("contains(ss, :h)", {":h": S("y")}), ("contains(l, :h)", {":h": N(2)}),
        ("size(l) = :three", {":three": N(3)}), ("size(s) > :three", {":three": N(3)}),
        ("attribute_type(n, :t)", {":t": S("N")}), ("attribute_type(nul, :t)", {":t": S("NULL")}),
        ("attribute_exists(m.a.b)", {}), ("attribute_not_exists(m.a.c)", {}), ("l[1] = :two", {":two": N(2)}),
        ("NOT (n = :five)", {":five": N(5)}), ("n = :five AND flag = :t", {":five": N(5), ":t": {"BOOL": True}}),
        ("n = :six OR s = :h", {":six": N(6), ":h": S("hello")}), ("m.a = :m", {":m": {"M": {"b": S("c")}}}),
        ("s < :z", {":z": S("z")}), ("n = :s", {":s": S("5")}),
    ]
    for i, (cond, values) in enumerate(conditions):
        body = {"TableName": "simple", "Key": {"pk": S("cond")}, "UpdateExpression": "SET touched = :i",
                "ConditionExpression": cond, "ExpressionAttributeValues": {":i": N(i), **values},
                "ReturnValues": "UPDATED_NEW"}
        add(f"condition {i}: {cond}", "UpdateItem", body)
    for i, proj in enumerate(["n, s", "m.a.b", "l[0], l[2]", "ss, nul, flag", "nothing, n"]):
        add(f"projection {i}: {proj}", "GetItem", {"TableName": "simple", "Key": {"pk": S("cond")},
                                                   "ProjectionExpression": proj})
    updates = [
        ("REMOVE l[0]", {}), ("SET l[5] = :v", {":v": S("end")}), ("SET m.a.d = :v", {":v": N(1)}),
        ("ADD n :v", {":v": N("-2.5")}), ("ADD newnum :v", {":v": N(3)}), ("DELETE ss :v", {":v": {"SS": ["x"]}}),
        ("SET s = :v, flag = :f REMOVE nul", {":v": S("bye"), ":f": {"BOOL": False}}),
        ("SET n = n - :v", {":v": N(1)}), ("SET l = list_append(:v, l)", {":v": {"L": [S("first")]}}),
    ]
    for i, (expr, values) in enumerate(updates):
        body = {"TableName": "simple", "Key": {"pk": S("cond")}, "UpdateExpression": expr, "ReturnValues": "ALL_NEW"}
        if values:
            body["ExpressionAttributeValues"] = values
        add(f"update form {i}: {expr}", "UpdateItem", body)

    # --- Query and Scan
    statuses = ["open", "shipped", "open", "closed", "open", "shipped"]
    for i in range(12):
        item = {"customer": S(f"c{i % 2}"), "order": N(i * 7 - 30), "amount": N(i * 10),
                "placed": S(f"2026-01-{10 + i:02d}")}
        if i < 6:
            item["status"] = S(statuses[i])
        add(f"put order {i}", "PutItem", {"TableName": "orders", "Item": item})
    q = {"TableName": "orders", "KeyConditionExpression": "customer = :c", "ExpressionAttributeValues": {":c": S("c0")}}

    def query(name, **kw):
        body = copy.deepcopy(q)
        body["ExpressionAttributeValues"].update(kw.pop("values", {}))
        body.update(kw)
        add(name, "Query", body)

    query("query all")
    query("query backwards", ScanIndexForward=False)
    query("query limit 2", Limit=2)
    query("query from a start key", ExclusiveStartKey={"customer": S("c0"), "order": N(-16)})
    query("query sort >", KeyConditionExpression="customer = :c AND #o > :z", ExpressionAttributeNames={"#o": "order"},
          values={":z": N(0)})
    query("query sort between", KeyConditionExpression="customer = :c AND #o BETWEEN :a AND :b",
          ExpressionAttributeNames={"#o": "order"}, values={":a": N(-16), ":b": N(12)})
    query("query filter", FilterExpression="amount >= :t", values={":t": N(40)})
    query("query filter and limit", FilterExpression="amount >= :t", Limit=3, values={":t": N(40)})
    query("query projection", ProjectionExpression="#o, amount", ExpressionAttributeNames={"#o": "order"})
    query("query count", Select="COUNT")
    query("query GSI", IndexName="by-status", KeyConditionExpression="#s = :s",
          ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":s": S("open")})
    query("query LSI", IndexName="by-placed", KeyConditionExpression="customer = :c AND begins_with(placed, :p)",
          values={":p": S("2026-01-1")})
    query("query missing index", IndexName="nope")
    query("query: no key condition", KeyConditionExpression=None)
    query("query: non-key condition", KeyConditionExpression="customer = :c AND amount = :t", values={":t": N(1)})
    query("query: OR", KeyConditionExpression="customer = :c OR customer = :d", values={":d": S("c1")})
    query("query: filter on a key", FilterExpression="customer = :c")
    query("query: limit 0", Limit=0)
    query("query: missing table", TableName="nosuch")
    query("query: consistent on GSI", IndexName="by-status", ConsistentRead=True,
          KeyConditionExpression="#s = :s", ExpressionAttributeNames={"#s": "status"},
          ExpressionAttributeValues={":s": S("open")})
    # Paging: a Query's LastEvaluatedKey is its last item's key, so the pages are known.
    query("query page 3 of 2 items", Limit=2, ExclusiveStartKey={"customer": S("c0"), "order": N(12)})
    query("query after the last item", ExclusiveStartKey={"customer": S("c0"), "order": N(40)})
    query("query backwards from a start key", ScanIndexForward=False, Limit=2,
          ExclusiveStartKey={"customer": S("c0"), "order": N(12)})
    query("query GSI page", IndexName="by-status", KeyConditionExpression="#s = :s", Limit=1,
          ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":s": S("open")})
    query("query: start key of another partition", ExclusiveStartKey={"customer": S("c1"), "order": N(12)})
    query("query: start key missing the sort key", ExclusiveStartKey={"customer": S("c0")})
    for op_text, bound in (("<", -2), ("<=", -2), (">=", 26)):
        query(f"query sort {op_text}", KeyConditionExpression=f"customer = :c AND #o {op_text} :z",
              ExpressionAttributeNames={"#o": "order"}, values={":z": N(bound)})
    query("query: begins_with on a number", KeyConditionExpression="customer = :c AND begins_with(#o, :z)",
          ExpressionAttributeNames={"#o": "order"}, values={":z": N(1)})
    query("query select ALL_ATTRIBUTES", Select="ALL_ATTRIBUTES", ConsistentRead=True)
    query("query select SPECIFIC_ATTRIBUTES", Select="SPECIFIC_ATTRIBUTES", ProjectionExpression="amount")
    query("query: SPECIFIC_ATTRIBUTES without projection", Select="SPECIFIC_ATTRIBUTES")
    query("query: COUNT with projection", Select="COUNT", ProjectionExpression="amount")
    query("query count filtered", Select="COUNT", FilterExpression="amount > :t", values={":t": N(30)})
    query("query LSI projected", IndexName="by-placed", Select="ALL_PROJECTED_ATTRIBUTES")
    query("query: bad Select", Select="EVERYTHING")
    query("query: unknown name in key condition", KeyConditionExpression="#c = :c")
    query("query: legacy KeyConditions", KeyConditionExpression=None, ExpressionAttributeValues=None,
          KeyConditions={"customer": {"ComparisonOperator": "EQ", "AttributeValueList": [S("c0")]}})
    add("scan all", "Scan", {"TableName": "orders"})
    add("scan filter", "Scan", {"TableName": "orders", "FilterExpression": "amount BETWEEN :a AND :b",
                                "ExpressionAttributeValues": {":a": N(20), ":b": N(60)}})
    add("scan count", "Scan", {"TableName": "orders", "Select": "COUNT"})
    add("scan GSI", "Scan", {"TableName": "orders", "IndexName": "by-status"})
    add("scan: segment without amount", "Scan", {"TableName": "orders", "Segment": 0})
    add("scan: segment too big", "Scan", {"TableName": "orders", "Segment": 2, "TotalSegments": 2})
    add("scan: missing table", "Scan", {"TableName": "nosuch"})
    add("scan: bad filter", "Scan", {"TableName": "orders", "FilterExpression": "amount >"})
    add("scan projection and filter", "Scan", {
        "TableName": "orders", "ProjectionExpression": "#o, #s", "FilterExpression": "attribute_exists(#s)",
        "ExpressionAttributeNames": {"#o": "order", "#s": "status"}})
    for seg in range(2):
        add(f"scan segment {seg} of 2", "Scan", {"TableName": "orders", "Segment": seg, "TotalSegments": 2})
    add("scan: negative segment", "Scan", {"TableName": "orders", "Segment": -1, "TotalSegments": 2})
    add("scan: 1,000,001 segments", "Scan", {"TableName": "orders", "Segment": 0, "TotalSegments": 1000001})
    add("scan: legacy ScanFilter", "Scan", {"TableName": "orders", "ScanFilter": {}})

    # --- Batches and transactions
    add("batch write", "BatchWriteItem", {"RequestItems": {"simple": [
        {"PutRequest": {"Item": {"pk": S(f"b{i}"), "v": N(i)}}} for i in range(20)] + [
        {"DeleteRequest": {"Key": {"pk": S("k3")}}}]}})
    add("batch write: 26", "BatchWriteItem", {"RequestItems": {"scratch": [
        {"PutRequest": {"Item": {"pk": S(f"b{i}")}}} for i in range(26)]}})
    add("batch write: duplicates", "BatchWriteItem", {"RequestItems": {"scratch": [
        {"PutRequest": {"Item": {"pk": S("d")}}}, {"DeleteRequest": {"Key": {"pk": S("d")}}}]}})
    add("batch write: missing table", "BatchWriteItem", {"RequestItems": {"nosuch": [
        {"PutRequest": {"Item": {"pk": S("d")}}}]}})
    add("batch get", "BatchGetItem", {"RequestItems": {"simple": {"Keys": [{"pk": S(f"b{i}")} for i in range(5)] +
                                                                   [{"pk": S("absent")}]}}})
    add("batch get projection", "BatchGetItem", {"RequestItems": {"simple": {
        "Keys": [{"pk": S("b1")}], "ProjectionExpression": "v"}}})
    add("batch get: 101 keys", "BatchGetItem", {"RequestItems": {"simple": {
        "Keys": [{"pk": S(f"x{i}")} for i in range(101)]}}})
    add("batch get: duplicates", "BatchGetItem", {"RequestItems": {"simple": {
        "Keys": [{"pk": S("b1")}, {"pk": S("b1")}]}}})
    add("batch get: missing table", "BatchGetItem", {"RequestItems": {"nosuch": {"Keys": [{"pk": S("b1")}]}}})
    add("transact write", "TransactWriteItems", {"TransactItems": [
        {"Put": {"TableName": "simple", "Item": {"pk": S("t1"), "v": N(1)}}},
        {"Update": {"TableName": "simple", "Key": {"pk": S("b1")}, "UpdateExpression": "SET v = v + :one",
                    "ExpressionAttributeValues": {":one": N(1)}}},
        {"Delete": {"TableName": "simple", "Key": {"pk": S("b2")}}},
        {"ConditionCheck": {"TableName": "simple", "Key": {"pk": S("b3")}, "ConditionExpression": "attribute_exists(v)"}}]})
    add("transact write: cancelled", "TransactWriteItems", {"TransactItems": [
        {"Put": {"TableName": "simple", "Item": {"pk": S("t2")}}},
        {"ConditionCheck": {"TableName": "simple", "Key": {"pk": S("b4")}, "ConditionExpression": "v > :big",
                            "ExpressionAttributeValues": {":big": N(100)}}}]})
    add("transact write: 101 actions", "TransactWriteItems", {"TransactItems": [
        {"Put": {"TableName": "scratch", "Item": {"pk": S(f"t{i}")}}} for i in range(101)]})
    add("transact write: no actions", "TransactWriteItems", {"TransactItems": []})
    add("transact write: missing table", "TransactWriteItems", {"TransactItems": [
        {"Put": {"TableName": "nosuch", "Item": {"pk": S("t4")}}}]})
    add("transact write: cancelled, old item returned", "TransactWriteItems", {"TransactItems": [
        {"Update": {"TableName": "simple", "Key": {"pk": S("b5")}, "UpdateExpression": "SET v = :z",
                    "ConditionExpression": "v = :z", "ExpressionAttributeValues": {":z": N(0)},
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
        {"Delete": {"TableName": "simple", "Key": {"pk": S("b6")}}}]})
    add("get: cancelled delete absent", "GetItem", {"TableName": "simple", "Key": {"pk": S("b6")}})
    add("transact get: 101", "TransactGetItems", {"TransactItems": [
        {"Get": {"TableName": "simple", "Key": {"pk": S(f"b{i}")}}} for i in range(101)]})
    add("transact get: missing table", "TransactGetItems", {"TransactItems": [
        {"Get": {"TableName": "nosuch", "Key": {"pk": S("b1")}}}]})
    add("batch get consistent, names", "BatchGetItem", {"RequestItems": {"simple": {
        "Keys": [{"pk": S("b7")}, {"pk": S("b8")}], "ConsistentRead": True, "ProjectionExpression": "#v",
        "ExpressionAttributeNames": {"#v": "v"}}}})
    add("batch write: wrong key type", "BatchWriteItem", {"RequestItems": {"simple": [
        {"DeleteRequest": {"Key": {"pk": N(1)}}}]}})
    add("delete: ALL_NEW refused", "DeleteItem", {"TableName": "simple", "Key": {"pk": S("b9")},
                                                  "ReturnValues": "ALL_NEW"})
    add("delete: NONE", "DeleteItem", {"TableName": "simple", "Key": {"pk": S("b9")}, "ReturnValues": "NONE"})
    add("update: condition fails, old returned", "UpdateItem", {
        "TableName": "simple", "Key": {"pk": S("b10")}, "UpdateExpression": "SET v = :z",
        "ConditionExpression": "attribute_not_exists(v)", "ExpressionAttributeValues": {":z": N(0)},
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD"})
    add("get: cancelled put absent", "GetItem", {"TableName": "simple", "Key": {"pk": S("t2")}})
    add("transact write: same item twice", "TransactWriteItems", {"TransactItems": [
        {"Put": {"TableName": "simple", "Item": {"pk": S("t3")}}},
        {"Delete": {"TableName": "simple", "Key": {"pk": S("t3")}}}]})
    add("transact get", "TransactGetItems", {"TransactItems": [
        {"Get": {"TableName": "simple", "Key": {"pk": S("t1")}}},
        {"Get": {"TableName": "simple", "Key": {"pk": S("b1")}, "ProjectionExpression": "v"}},
        {"Get": {"TableName": "simple", "Key": {"pk": S("none")}}}]})
    add("scan simple", "Scan", {"TableName": "simple"})
    add("scan simple page", "Scan", {"TableName": "simple", "Limit": 5})
    add("describe simple after writes", "DescribeTable", {"TableName": "simple"})

    # --- The protocol itself
    add("unknown operation", "Frobnicate", {})
    add("body not JSON", "ListTables", b"{not json")
    add("body a list", "ListTables", b"[]")
    add("TableName a number", "DescribeTable", {"TableName": 5})
    add("Limit a string", "ListTables", {"Limit": "x"})
    add("Item a list", "PutItem", {"TableName": "simple", "Item": []})

    # --- Tables after the writes
    add("describe orders after writes", "DescribeTable", {"TableName": "orders"})
    add("update: delete GSI", "UpdateTable", {"TableName": "simple", "GlobalSecondaryIndexUpdates": [
        {"Delete": {"IndexName": "by-email"}}]})
    add("update: delete missing GSI", "UpdateTable", {"TableName": "prov", "GlobalSecondaryIndexUpdates": [
        {"Delete": {"IndexName": "nope"}}]})
    add("update: stream on", "UpdateTable", {"TableName": "prov", "StreamSpecification": {
        "StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}})
    add("update: stream already on", "UpdateTable", {"TableName": "prov", "StreamSpecification": {
        "StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}})
    add("disable ttl", "UpdateTimeToLive", {"TableName": "simple",
                                            "TimeToLiveSpecification": {"Enabled": False, "AttributeName": "exp"}})

    # --- Deleting
    add("delete table", "DeleteTable", {"TableName": "bin"})
    add("delete missing table", "DeleteTable", {"TableName": "bin"})
    add("list after delete", "ListTables", {})
    return out


# Where moto answers differently from DynamoDB's documentation, and fx follows the
# documentation: step -> why. The test fails if moto starts agreeing (the note is then stale).
MOTO_DEVIATIONS = {
    "create: throughput with on-demand":
        "DynamoDB: 'Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when "
        "BillingMode is PAY_PER_REQUEST'; moto words it its own way",
    "create: short name":
        "DynamoDB checks the name's length (3-255); moto creates the table",
    "create: bad name":
        "DynamoDB checks the name's pattern [a-zA-Z0-9_.-]+; moto creates the table",
    "list tables: limit 0": "DynamoDB's Limit is 1-100; moto takes 0 as no limit",
    "list tables: after bin":
        "DynamoDB lists table names in order and pages after the given name; moto pages in "
        "creation order",
    "list tables": "DynamoDB lists names in UTF-8 order; moto in creation order",
    "list tables: limit 2": "DynamoDB lists names in order; moto in creation order",
    "list after delete": "DynamoDB lists names in order; moto in creation order",
    "tags of missing table": "moto answers with its own message words",
    "update: add GSI":
        "DynamoDB reports a new index CREATING (then ACTIVE after backfilling); fx fills it at once "
        "and reports ACTIVE, moto reports it without Backfilling/IndexStatus details of its own",
    "put: return ALL_NEW refused":
        "DynamoDB: 'ReturnValues can only be ALL_OLD or NONE'; moto: 'Return values set to invalid value'",
    "put: GSI key wrong type":
        "DynamoDB refuses an item whose index key has the wrong type; moto stores it",
    "put: legacy Expected":
        "fx does not support the legacy Expected parameter yet and says which expression to use; "
        "moto evaluates it",
    "update: legacy AttributeUpdates":
        "fx does not support the legacy AttributeUpdates parameter yet; moto applies it",
    "query: legacy KeyConditions":
        "fx does not support the legacy KeyConditions parameter yet; moto evaluates it",
    "scan: legacy ScanFilter": "fx does not support the legacy ScanFilter parameter yet; moto ignores an empty one",
    "query: limit 0": "DynamoDB's Limit must be >= 1; moto takes 0",
    "query: filter on a key":
        "DynamoDB: 'Filter Expression can only contain non-primary key attributes'; moto filters",
    "query missing index":
        "DynamoDB: ValidationException 'The table does not have the specified index: nope'; moto "
        "answers ResourceNotFoundException",
    "query: no key condition": "moto words the missing key condition error its own way",
    "query: OR": "moto fails on an OR in a key condition with its own words (or a 500)",
    "scan: bad filter": "moto words the syntax error its own way",
    "batch write: 26": "DynamoDB takes at most 25 requests; moto takes any number",
    "batch get: 101 keys": "moto words the limit with its own member path",
    "get: wrong key type": "moto words the key mismatch its own way",
    "unknown operation": "moto answers an unknown operation with its own error shape",
    "body not JSON": "moto answers a body that is not JSON with its own error (or a 500)",
    "body a list": "moto answers a body that is not an object with its own error (or a 500)",
    "TableName a number": "DynamoDB's protocol layer refuses the wrong JSON type "
                          "(SerializationException); moto converts or fails its own way",
    "Limit a string": "DynamoDB refuses the wrong JSON type (SerializationException); moto does not",
    "Item a list": "DynamoDB refuses the wrong JSON type (SerializationException); moto does not",
    "put: overflow": "moto does not check a number's magnitude",
    "put: 39 digits": "moto does not check a number's precision",
    "put: two types in a value": "moto words the value error its own way",
    "put: no type": "moto words the empty value its own way",
    "put: duplicate set member": "moto words (or skips) the duplicate set member its own way",
    "update: wrong operand type": "moto words the operand type error its own way",
    "update: bad ReturnValues": "moto answers an unknown ReturnValues its own way",
    "put: unused value": "moto words the unused value its own way",
    "delete table": "DynamoDB answers DeleteTable with TableStatus DELETING; moto says ACTIVE",
    "delete missing table": "moto words the missing table its own way",
    "ttl of missing table": "moto answers with an error type of its own (ResourceNotFound, no namespace)",
    "get projection":
        "moto calls #in unused although the projection uses it (DynamoDB: placeholders in a "
        "ProjectionExpression are used)",
    "put: empty key":
        "DynamoDB's current words are 'The AttributeValue for a key attribute cannot contain an "
        "empty string value'; moto keeps the words of before empty strings were allowed",
    "update returning UPDATED_OLD":
        "DynamoDB returns only the updated paths (m.in[1], not all of m); moto returns the whole "
        "top-level attribute",
    "update returning UPDATED_NEW": "as UPDATED_OLD: moto returns the whole top-level attribute",
    "update: no expression creates": "moto fails with a 500 on an UpdateItem without UpdateExpression",
    "projection 2: l[0], l[2]": "moto keeps only the last of two elements picked from one list",
    "scan count": "moto ignores Select COUNT and returns the items",
    "batch write: duplicates":
        "DynamoDB refuses two requests on one key in a BatchWriteItem ('Provided list of item keys "
        "contains duplicates'); moto applies both",
    "transact get":
        "moto adds the key attributes to a Get's ProjectionExpression result; DynamoDB returns "
        "only the projected attributes",
    "query page 3 of 2 items":
        "DynamoDB returns LastEvaluatedKey whenever Limit stopped the read, even when no item "
        "follows (the next page is then empty); moto only when more items remain",
    "query: start key of another partition":
        "DynamoDB: 'The provided starting key is outside query boundaries based on provided "
        "conditions'; moto pages from it and returns nothing",
    "query: start key missing the sort key": "moto fails with a 500 on an incomplete start key",
    "query: begins_with on a number":
        "DynamoDB refuses begins_with on a number sort key; moto fails with a 500",
    "query: SPECIFIC_ATTRIBUTES without projection":
        "DynamoDB requires a projection with Select SPECIFIC_ATTRIBUTES; moto returns every attribute",
    "query: COUNT with projection":
        "DynamoDB: 'Cannot specify the ProjectionExpression when choosing to get only the Count'; "
        "moto counts",
    "query: bad Select": "DynamoDB checks Select's enum; moto ignores an unknown Select",
    "query: unknown name in key condition":
        "DynamoDB reports the undefined #c first; moto reports the key it could not find",
    "scan: negative segment": "DynamoDB's Segment is >= 0; moto ignores Segment",
    "scan: 1,000,001 segments": "DynamoDB's TotalSegments is <= 1,000,000; moto ignores it",
    "transact write: 101 actions":
        "both refuse; DynamoDB's message prints the list's members (Java objects, which fx elides "
        "as '[...]'), moto leaves the Value out and adds a full stop",
    "transact write: no actions": "DynamoDB's TransactItems has 1 to 100 members; moto accepts none",
    "transact get: 101":
        "TransactGetItems takes 100 items since 2022 (DynamoDB's API reference); moto's limit is "
        "still 25",
    "batch write: wrong key type":
        "DynamoDB: 'The provided key element does not match the schema'; moto answers 200",
    "delete: ALL_NEW refused":
        "as PutItem: DynamoDB's 'ReturnValues can only be ALL_OLD or NONE'; moto its own words",
    "update: delete GSI":
        "as 'describe simple after writes': moto replaced the table's AttributeDefinitions with "
        "the new index's when it was created, so pk is missing from moto's",
    "update: delete missing GSI": "moto fails with a 500 deleting an index the table does not have",
    "update: stream on": "as 'update billing': moto's WarmThroughput is the one of the table's creation",
    "update: stream already on":
        "DynamoDB: ValidationException 'Table already has an enabled stream: ARN'; moto answers "
        "ResourceInUseException 'Cannot enable stream'",
    "update billing":
        "DynamoDB's WarmThroughput of a provisioned table is at least its provisioned capacity; "
        "moto keeps the one of the table's creation",
    "describe simple after writes":
        "UpdateTable's AttributeDefinitions add to the table's (DynamoDB keeps pk's); moto "
        "replaces them",
}


class Differential(DifferentialCase):

    def body_for(self, url, body):
        if isinstance(body, bytes):
            return body
        text = json.dumps({k: v for k, v in body.items() if v is not None})
        account = "000000000000" if url == self.url else "123456789012"
        return text.replace(":ACCOUNT:", f":{account}:").encode()

    def test_the_same_calls_get_the_same_answers(self):
        all_steps = steps()
        self.assertGreaterEqual(len(all_steps), 200, "at least 200 operations")
        differences, agreed, explained = [], 0, set()
        for name, op, body in all_steps:
            fx = call(self.url, op, self.body_for(self.url, body))
            moto = call(self.moto.url, op, self.body_for(self.moto.url, body))
            self.assertNotEqual(fx[0], 500, f"{name}: fx failed with a 500: {fx[1]}")
            self.assertLess(fx[0], 500, name)
            fx_error, moto_error = error_of(fx), error_of(moto)
            if fx_error or moto_error:
                same = fx_error == moto_error
            else:
                same = normalise(fx[1], op) == normalise(moto[1], op)
            if same:
                agreed += 1
                continue
            if name in MOTO_DEVIATIONS:
                explained.add(name)
                continue
            if fx_error or moto_error:
                differences.append(f"{name} ({op}):\n  fx:   {fx[0]} {fx_error}\n  moto: {moto[0]} {moto_error}")
            else:
                where = diff_paths(normalise(fx[1], op), normalise(moto[1], op))
                differences.append(f"{name} ({op}):\n  " + "\n  ".join(where[:12]))
        self.assertEqual(differences, [], "unexplained differences:\n" + "\n".join(differences))
        # A deviation that no longer happens (or names no step) is a stale explanation.
        self.assertEqual(sorted(set(MOTO_DEVIATIONS) - explained), [], "moto now agrees, or no such step")
        print(f"\n{len(all_steps)} operations: {agreed} answered alike, {len(explained)} moto deviations")

    def test_segments_partition_the_table(self):
        """Scan's Segment/TotalSegments: every item in exactly one segment, whatever the number
        of segments, each segment paged by its own LastEvaluatedKey. fx only: which segment
        an item falls in is each implementation's own (the differential steps compare two
        segments of a small table, where fx and moto happen to split alike)."""
        status, body = call(self.url, "CreateTable", {
            "TableName": "segments", "KeySchema": key_schema("pk", "sk"), "AttributeDefinitions": defs(pk="S", sk="N"),
            "BillingMode": "PAY_PER_REQUEST"})
        self.assertEqual(status, 200, body)
        keys = set()
        for start in range(0, 300, 25):
            status, body = call(self.url, "BatchWriteItem", {"RequestItems": {"segments": [
                {"PutRequest": {"Item": {"pk": S(f"p{i % 37}"), "sk": N(i)}}} for i in range(start, start + 25)]}})
            self.assertEqual((status, body.get("UnprocessedItems")), (200, {}), body)
            keys |= {(f"p{i % 37}", str(i)) for i in range(start, start + 25)}
        for total in (1, 2, 3, 7, 64):
            seen = []
            for seg in range(total):
                start = None
                while True:
                    req = {"TableName": "segments", "Segment": seg, "TotalSegments": total, "Limit": 40}
                    if start:
                        req["ExclusiveStartKey"] = start
                    status, body = call(self.url, "Scan", req)
                    self.assertEqual(status, 200, body)
                    seen += [(i["pk"]["S"], i["sk"]["N"]) for i in body["Items"]]
                    start = body.get("LastEvaluatedKey")
                    if not start:
                        break
            self.assertEqual(len(seen), len(set(seen)), f"{total} segments: an item in two")
            self.assertEqual(set(seen), keys, f"{total} segments: items missing")

    def test_expressions_replayed_against_both(self):
        with open(EXPRESSIONS) as f:
            cases = json.load(f)["cases"]
        for url in (self.url, self.moto.url):
            for name, keys, types in (("expr", ["pk"], {"pk": "S"}), ("exprq", ["pk", "sk"], {"pk": "S", "sk": "N"})):
                status, body = call(url, "CreateTable", {
                    "TableName": name, "KeySchema": key_schema(*keys), "AttributeDefinitions": defs(**types),
                    "BillingMode": "PAY_PER_REQUEST"})
                self.assertEqual(status, 200, body)
        wrong = []
        for n, case in enumerate(cases):
            fx = self.replay(self.url, case)
            moto = self.replay(self.moto.url, case)
            dynamodb = {"error": "ValidationException", "message": case["message"]} if case["message"] else \
                {"result": case.get("result", True)}
            if fx != self.canonical(dynamodb):
                wrong.append(f"#{n} {case['operation']} {case['expression']} {case['text']!r}: "
                             f"fx {fx}, DynamoDB {dynamodb}")
            recorded = case["moto"]
            expected_moto = fx if recorded == "same" else self.canonical(recorded)
            if "ok" in (recorded if isinstance(recorded, dict) else {}):
                expected_moto = {"ok": True}
                moto = {"ok": "error" not in moto}
            if moto != expected_moto and not (isinstance(recorded, dict) and recorded.get("error") == "500"):
                wrong.append(f"#{n} moto no longer answers as recorded: {moto} vs {recorded}")
        self.assertEqual(wrong, [], "\n".join(wrong))

    @staticmethod
    def canonical(answer):
        if "error" in answer:
            return {"error": answer["error"], "message": answer.get("message")}
        if isinstance(answer.get("result"), dict):
            return {"result": normalise(answer["result"])}
        return answer

    def replay(self, url, case):
        """Runs one case of expressions.json: {"error", "message"} or {"result"}."""
        op = case["operation"]
        params = {case["expression"]: case["text"]}
        if "names" in case:
            params["ExpressionAttributeNames"] = case["names"]
        if "values" in case:
            params["ExpressionAttributeValues"] = case["values"]
        table = "exprq" if op == "Query" else "expr"
        item = case.get("item")
        call(url, "DeleteItem", {"TableName": "expr", "Key": {"pk": S("k")}})
        call(url, "DeleteItem", {"TableName": "expr", "Key": {"pk": S("new")}})
        if item:
            status, body = call(url, "PutItem", {"TableName": "expr", "Item": item})
            assert status == 200, body
        if op == "GetItem":
            r = call(url, op, {"TableName": table, "Key": {"pk": S("k")}, **params})
        elif op == "PutItem":
            r = call(url, op, {"TableName": table, "Item": {"pk": S("new")}, **params})
        elif op == "DeleteItem":
            r = call(url, op, {"TableName": table, "Key": {"pk": S("k")}, **params})
        elif op == "UpdateItem":
            r = call(url, op, {"TableName": table, "Key": {"pk": S("k")}, **params})
        elif op == "Scan":
            r = call(url, op, {"TableName": table, **params})
        else:
            r = call(url, op, {"TableName": table, **params})
        err = error_of(r)
        if err:
            if err[0] == "ConditionalCheckFailedException":
                return {"result": False}
            if r[0] >= 500:
                return {"error": "500", "message": err[1]}
            return {"error": err[0], "message": err[1]}
        if op == "GetItem":
            return {"result": normalise(r[1].get("Item", {}))}
        if op == "UpdateItem":
            got = call(url, "GetItem", {"TableName": table, "Key": {"pk": S("k")}})
            return {"result": normalise(got[1].get("Item", {}))}
        return {"result": True}


if __name__ == "__main__":
    main()
