package lifecycle

import "time"

// Audience says which customers a campaign reaches; the store turns it into one query that the
// campaign pages through by customer id. Every audience holds only customers with marketing consent.
type Audience struct {
	// Kind picks the rule: KindSale, KindSeason or KindRestock.
	Kind Kind `json:"kind"`
	// Category (sale): customers who bought a product of it or list it among their categories.
	Category string `json:"category,omitempty"`
	// Product, Color, Size and WishedAfter (restock): customers with an open wish for that style in
	// that colour and size, made after WishedAfter (the restock window).
	Product     string    `json:"product,omitempty"`
	Color       string    `json:"color,omitempty"`
	Size        string    `json:"size,omitempty"`
	WishedAfter time.Time `json:"wished_after,omitzero"`
	// A season reaches every customer who bought something; it needs no other field.
}
