package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/tailorhq/tailor/internal/campaigns"
	"github.com/tailorhq/tailor/internal/store"
)

// stockLevels sets a SKU's stock to a level counted by the shop's systems (the HTTP API, Shopify);
// a level that brings the SKU back in stock starts its restock campaign, as a products import and
// `starter restock` do (internal/campaigns).
type stockLevels struct {
	store         *store.DB
	temporal      client.Client
	restockWindow time.Duration
	now           func() time.Time
	logger        *slog.Logger
}

// SetMedia stores the SKU's picture and page (nil keeps one, "" clears it). An unknown SKU wraps
// lifecycle.ErrNotFound.
func (l *stockLevels) SetMedia(ctx context.Context, sku string, imageURL, url *string) error {
	if imageURL == nil && url == nil {
		return nil
	}
	return l.store.SetProductMedia(ctx, sku, imageURL, url)
}

// Set stores the level; a campaign that exists already is fine. An unknown SKU wraps
// lifecycle.ErrNotFound.
func (l *stockLevels) Set(ctx context.Context, sku string, stock int) error {
	p, back, err := l.store.SetStock(ctx, sku, stock)
	if err != nil || !back {
		return err
	}
	now := l.now()
	id, err := campaigns.Start(ctx, l.temporal, campaigns.Restock(p, now, l.restockWindow), now)
	if err != nil && !campaigns.AlreadyExists(err) {
		return fmt.Errorf("%s back in stock (%d in stock), but its restock campaign did not start: %w", p.SKU, p.Stock, err)
	}
	l.logger.Info("back in stock: restock campaign started", "sku", p.SKU, "stock", p.Stock, "campaign", id)
	return nil
}
