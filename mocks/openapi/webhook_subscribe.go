package openapi

import (
	"net/url"
	"slices"
	"strings"

	"github.com/firedrill/firedrill/mocks/store"
	"github.com/firedrill/firedrill/mocks/toolkit"
)

// Where a contract lets clients subscribe (Stripe's webhook_endpoints,
// HubSpot's subscriptions...): collections named like these, records with
// a URL in one of urlFields and, optionally, the events wanted.
var (
	subscriptionNouns = []string{"webhook", "subscription", "hook"}
	urlFields         = []string{"url", "target_url", "targetUrl", "callback_url", "callbackUrl", "endpoint", "uri", "address"}
	eventsFields      = []string{"enabled_events", "events", "event_types", "eventTypes", "topics"}
	eventKinds        = []string{toolkit.EventCreate, toolkit.EventUpdate, toolkit.EventDelete}
)

// isSubscriptionCollection reports whether a collection holds webhook
// subscriptions: named like one, and its records declare a URL field (a
// billing "subscriptions" collection has none at the top).
func isSubscriptionCollection(c store.Collection) bool {
	if !containsAny(strings.ToLower(c.Name), subscriptionNouns) || c.ItemSchema == nil {
		return false
	}
	for _, f := range urlFields {
		if _, ok := c.ItemSchema.Properties[f]; ok {
			return true
		}
	}
	return false
}

// subscription applies a change of a subscription collection to the
// subscribers and reports whether the collection was one: creating a
// record subscribes its URL, updating it replaces the subscriber, deleting
// it unsubscribes. Such changes are not themselves delivered.
func (h *hooks) subscription(kind, resource string, c store.Collection, rec map[string]any) bool {
	if !isSubscriptionCollection(c) {
		return false
	}
	if kind == toolkit.EventDelete {
		h.w.Unsubscribe(resource)
		return true
	}
	target := ""
	for _, f := range urlFields {
		if s, ok := rec[f].(string); ok {
			if u, err := url.Parse(s); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
				target = s
				break
			}
		}
	}
	if target == "" {
		return true
	}
	sub := toolkit.WebhookSubscriber{URL: target, Events: eventsFrom(rec)}
	if s, ok := rec["secret"].(string); ok {
		sub.Secret = s
	}
	if err := h.w.Subscribe(resource, sub); err != nil {
		h.warn("mock: subscription through the contract ignored", "url", target, "err", err.Error())
	}
	return true
}

// eventsFrom reads the kinds of change a subscription record asks for;
// every kind when it names none this mock knows ("*" included).
func eventsFrom(rec map[string]any) []string {
	for _, f := range eventsFields {
		list, ok := rec[f].([]any)
		if !ok {
			continue
		}
		var kinds []string
		for _, v := range list {
			s, _ := v.(string)
			s = strings.ToLower(s)
			if s == "*" {
				return nil
			}
			for _, kind := range eventKinds {
				if containsAny(s, kindWords[kind]) && !slices.Contains(kinds, kind) {
					kinds = append(kinds, kind)
				}
			}
		}
		return kinds
	}
	return nil
}
