"""The GraphQL Admin API queries the walks send, each sized so its requested cost stays under Shopify's limit.

Shopify prices a query before running it: an object costs 1, a scalar 0, a connection 2 plus
`first` times the cost of one node; a query asking for more than `MAX_QUERY_COST` points is
refused, and one asking for more than the bucket holds waits (the client waits for it). Each
page size below is the largest whose requested cost stays within `MAX_QUERY_COST` (the sums
are in the comments); what a page does not return is refunded, so small pages cost little.
The selections are exactly the fields `shapes.py` declares for GraphQL.
"""

# Shopify refuses a single query whose requested cost is above this.
MAX_QUERY_COST = 1000
# Connections and id lists take at most this many.
MAX_PAGE_SIZE = 250

# An order node: 1 + five money bags × 2 + customer + two addresses + line items (2 + 7 each).
LINE_ITEMS_PER_ORDER = 5
ORDER_NODE_COST = 1 + 5 * 2 + 3 + 2 + 7 * LINE_ITEMS_PER_ORDER
ORDERS_PER_PAGE = (MAX_QUERY_COST - 2) // ORDER_NODE_COST
# The rest of an order's line items: 1 + 2 + 7 each.
LINE_ITEMS_PER_PAGE = 100
# A product node: 1 + variants (2 + 1 each).
VARIANTS_PER_PRODUCT = 20
PRODUCT_NODE_COST = 1 + 2 + VARIANTS_PER_PRODUCT
PRODUCTS_PER_PAGE = (MAX_QUERY_COST - 2) // PRODUCT_NODE_COST
# The rest of a product's variants, or of their ids: 1 + 2 + 1 each.
VARIANTS_PER_PAGE = MAX_PAGE_SIZE
# Ids only: orders 2 + 1 each; products 2 + (1 + 2 + 1 per variant id) each.
ORDER_IDS_PER_PAGE = MAX_PAGE_SIZE
VARIANT_IDS_PER_PRODUCT = 25
PRODUCT_IDS_PER_PAGE = (MAX_QUERY_COST - 2) // (1 + 2 + VARIANT_IDS_PER_PRODUCT)
# `nodes(ids:)` takes at most 250 ids, each costing 1.
IDS_PER_LOOKUP = MAX_PAGE_SIZE

PAGE_INFO = "pageInfo { hasNextPage endCursor }"
ADDRESS = "firstName lastName name company address1 address2 city province provinceCode zip country countryCodeV2 phone"
LINE_ITEM = (
    "id name sku quantity product { id } variant { id }"
    " originalUnitPriceSet { shopMoney { amount } } discountedTotalSet { shopMoney { amount } }"
)
ORDER = (
    "id name email currencyCode displayFinancialStatus displayFulfillmentStatus"
    " createdAt updatedAt cancelledAt closedAt"
    " totalPriceSet { shopMoney { amount } } subtotalPriceSet { shopMoney { amount } }"
    " totalTaxSet { shopMoney { amount } } totalShippingPriceSet { shopMoney { amount } }"
    " totalDiscountsSet { shopMoney { amount } }"
    " customer { id email firstName lastName }"
    f" billingAddress {{ {ADDRESS} }} shippingAddress {{ {ADDRESS} }}"
    f" lineItems(first: {LINE_ITEMS_PER_ORDER}) {{ {PAGE_INFO} nodes {{ {LINE_ITEM} }} }}"
)
PRODUCT = "id title status createdAt updatedAt"
VARIANT = "id title sku price compareAtPrice inventoryQuantity createdAt updatedAt"

CHANGED_ORDERS = f"""query ChangedOrders($query: String!, $after: String) {{
  orders(first: {ORDERS_PER_PAGE}, after: $after, query: $query, sortKey: UPDATED_AT) {{ {PAGE_INFO} nodes {{ {ORDER} }} }}
}}"""
MORE_LINE_ITEMS = f"""query MoreLineItems($id: ID!, $after: String) {{
  order(id: $id) {{ lineItems(first: {LINE_ITEMS_PER_PAGE}, after: $after) {{ {PAGE_INFO} nodes {{ {LINE_ITEM} }} }} }}
}}"""
CHANGED_PRODUCTS = f"""query ChangedProducts($query: String, $after: String) {{
  products(first: {PRODUCTS_PER_PAGE}, after: $after, query: $query, sortKey: UPDATED_AT) {{
    {PAGE_INFO} nodes {{ {PRODUCT} variants(first: {VARIANTS_PER_PRODUCT}) {{ {PAGE_INFO} nodes {{ {VARIANT} }} }} }}
  }}
}}"""
MORE_VARIANTS = f"""query MoreVariants($id: ID!, $after: String) {{
  product(id: $id) {{ variants(first: {VARIANTS_PER_PAGE}, after: $after) {{ {PAGE_INFO} nodes {{ {VARIANT} }} }} }}
}}"""
ORDER_IDS = f"""query OrderIds($query: String!, $after: String) {{
  orders(first: {ORDER_IDS_PER_PAGE}, after: $after, query: $query, sortKey: ID) {{ {PAGE_INFO} nodes {{ id }} }}
}}"""
PRODUCT_IDS = f"""query ProductIds($after: String) {{
  products(first: {PRODUCT_IDS_PER_PAGE}, after: $after, sortKey: ID) {{
    {PAGE_INFO} nodes {{ id variants(first: {VARIANT_IDS_PER_PRODUCT}) {{ {PAGE_INFO} nodes {{ id }} }} }}
  }}
}}"""
MORE_VARIANT_IDS = f"""query MoreVariantIds($id: ID!, $after: String) {{
  product(id: $id) {{ variants(first: {VARIANTS_PER_PAGE}, after: $after) {{ {PAGE_INFO} nodes {{ id }} }} }}
}}"""
EXISTING = "query Existing($ids: [ID!]!) { nodes(ids: $ids) { id } }"
# Orders: with the app's scopes, since without read_all_orders older orders are null too.
EXISTING_ORDERS = "query ExistingOrders($ids: [ID!]!) { nodes(ids: $ids) { id } currentAppInstallation { accessScopes { handle } } }"
ORDER_NOW = f"query OrderNow($id: ID!) {{ order(id: $id) {{ {ORDER} }} }}"
PRODUCT_NOW = f"query ProductNow($id: ID!) {{ product(id: $id) {{ {PRODUCT} }} }}"
VARIANT_NOW = f"query VariantNow($id: ID!) {{ productVariant(id: $id) {{ {VARIANT} product {{ {PRODUCT} }} }} }}"
