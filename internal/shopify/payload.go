package shopify

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tailorhq/tailor/internal/lifecycle"
)

// The payloads below keep only the fields Tailor reads. Their shape follows Shopify's documented
// REST resources, which the webhooks of the same topic carry:
//   - orders/create: the Order resource,
//     https://shopify.dev/docs/api/admin-rest/latest/resources/order (line_items[].sku, price,
//     quantity and discount_allocations[].amount, customer, customer_locale,
//     buyer_accepts_marketing), its customer as in
//     https://shopify.dev/docs/api/admin-rest/latest/resources/customer (email_marketing_consent
//     with state subscribed, not_subscribed, pending, unsubscribed, redacted or invalid);
//   - products/update: the Product resource with its variants,
//     https://shopify.dev/docs/api/admin-rest/latest/resources/product-variant (sku,
//     inventory_item_id, inventory_quantity);
//   - inventory_levels/update: the InventoryLevel resource,
//     https://shopify.dev/docs/api/admin-rest/latest/resources/inventorylevel (inventory_item_id,
//     location_id, available, updated_at).
// testdata/ holds one of each, shaped like the documented examples.

type order struct {
	ID                    int64         `json:"id"`
	Email                 string        `json:"email"`
	CreatedAt             time.Time     `json:"created_at"`
	CustomerLocale        string        `json:"customer_locale"`
	BuyerAcceptsMarketing *bool         `json:"buyer_accepts_marketing"`
	Customer              *shopCustomer `json:"customer"`
	LineItems             []lineItem    `json:"line_items"`
}

type shopCustomer struct {
	ID                    int64  `json:"id"`
	Email                 string `json:"email"`
	FirstName             string `json:"first_name"`
	LastName              string `json:"last_name"`
	EmailMarketingConsent *struct {
		State string `json:"state"`
	} `json:"email_marketing_consent"`
}

type lineItem struct {
	ID       int64  `json:"id"`
	SKU      string `json:"sku"`
	Title    string `json:"title"`
	Price    string `json:"price"` // one unit, before discounts, in the shop's currency
	Quantity int    `json:"quantity"`
	// DiscountAllocations are the discounts taken off this line, in the shop's currency.
	DiscountAllocations []struct {
		Amount string `json:"amount"`
	} `json:"discount_allocations"`
}

// paidCents is what the customer paid for the line: price × quantity less the discounts
// allocated to it, never below zero. ok is false when the payload carries no readable price (an
// attribution then falls back to the product's price, as for an order imported without one).
func (li lineItem) paidCents() (cents int64, ok bool) {
	unit, ok := lifecycle.ParsePrice(strings.TrimSpace(li.Price))
	if !ok {
		return 0, false
	}
	qty := int64(max(li.Quantity, 1))
	cents = unit * qty
	for _, d := range li.DiscountAllocations {
		off, ok := lifecycle.ParsePrice(strings.TrimSpace(d.Amount))
		if !ok {
			return 0, false
		}
		cents -= off
	}
	return max(cents, 0), true
}

type product struct {
	ID       int64          `json:"id"`
	Variants []variant      `json:"variants"`
	Images   []productImage `json:"images"`
	Image    *productImage  `json:"image"` // the product's main picture
}

type variant struct {
	ID                int64  `json:"id"`
	SKU               string `json:"sku"`
	InventoryItemID   int64  `json:"inventory_item_id"`
	InventoryQuantity *int   `json:"inventory_quantity"`
	ImageID           *int64 `json:"image_id"`
}

// productImage is one of a product's pictures (https://shopify.dev/docs/api/admin-rest/latest/resources/product-image).
type productImage struct {
	ID         int64   `json:"id"`
	Src        string  `json:"src"`
	VariantIDs []int64 `json:"variant_ids"`
}

// picture is the variant's own picture (its image_id, or a picture that names the variant), else
// the product's main one; "" when the product has none.
func (p product) picture(v variant) string {
	for _, img := range p.Images {
		if (v.ImageID != nil && img.ID == *v.ImageID) || slices.Contains(img.VariantIDs, v.ID) {
			return img.Src
		}
	}
	if p.Image != nil {
		return p.Image.Src
	}
	return ""
}

type inventoryLevel struct {
	InventoryItemID int64     `json:"inventory_item_id"`
	LocationID      int64     `json:"location_id"`
	Available       *int      `json:"available"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// decode reads a signed body into v: an error is a payload Tailor cannot read, which a retry of
// the same bytes does not change.
func decode(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("payload is not the documented JSON: %w", err)
	}
	return nil
}

// CustomerID is the Tailor id of the Shopify customer with id: shopify-<id>.
func CustomerID(id int64) string { return "shopify-" + strconv.FormatInt(id, 10) }

// PurchaseID is the id of the purchase of one order line: shopify-<order id>-<line item id>, the
// same for every delivery of the order, so a purchase is recorded once.
func PurchaseID(orderID, lineItemID int64) string {
	return "shopify-" + strconv.FormatInt(orderID, 10) + "-" + strconv.FormatInt(lineItemID, 10)
}

// consent reads the order's marketing consent: customer.email_marketing_consent.state when
// present (subscribed grants; unsubscribed withdraws; not_subscribed, pending and the others
// state nothing), else the older buyer_accepts_marketing (true grants, false states nothing:
// the box was not ticked, which withdraws nothing given elsewhere).
func (o order) consent() Consent {
	if c := o.Customer; c != nil && c.EmailMarketingConsent != nil && c.EmailMarketingConsent.State != "" {
		switch strings.ToLower(c.EmailMarketingConsent.State) {
		case "subscribed":
			return ConsentGranted
		case "unsubscribed":
			return ConsentWithdrawn
		default:
			return ConsentUnstated
		}
	}
	if o.BuyerAcceptsMarketing != nil && *o.BuyerAcceptsMarketing {
		return ConsentGranted
	}
	return ConsentUnstated
}

// locale maps Shopify's customer_locale (en, nl, nl-NL, en-GB, ...) to a Tailor locale, "" when
// it is none Tailor writes in.
func locale(shopify string) string {
	lang, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(shopify)), "-")
	if lifecycle.ValidLocale(lang) {
		return lang
	}
	return ""
}
