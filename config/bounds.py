"""The widths of the columns stores fill: the mapper refuses what they cannot hold, the models declare them.

One source for both, so a value the mapper accepts is one the database takes.
"""

# Integers a store sends (quantities, stock) are kept in signed 64-bit (BIGINT) columns.
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
# WordPress ids are BIGINT(20) UNSIGNED, kept as decimal strings: anything larger is not an id.
MAX_ID = 2**64 - 1
# Columns holding a store's ids as text: a WordPress id has at most 20 digits, and a Shopify
# GID of a 64-bit id at most 54 characters (`gid://shopify/WebhookSubscription/` and 20 digits).
EXTERNAL_ID_LENGTH = 64
# More digits than any SQL NUMERIC column keeps: such a value is not an amount of money.
MAX_MONEY_DIGITS = 38
# Money columns hold the decimal text of at most MAX_MONEY_DIGITS digits, written in fixed-point
# notation: a sign, a leading "0" before a fraction's point, and the point ("-0.000…1").
MONEY_LENGTH = MAX_MONEY_DIGITS + 3
