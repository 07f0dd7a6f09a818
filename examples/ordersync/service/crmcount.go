package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
)

// The CRM keeps a count of each customer's orders (ORDERSYNC_COUNT_ORDERS=1).
// The sync finds the customer by the CRM's search argument, creates it
// when the search finds none, and raises its count with compare-and-set:
// the write carries the count it read, and a write the CRM calls stale
// (another order of the same customer counted in between) is read again
// and retried. Each order is counted once: the service remembers the
// orders it counted, so a redriven order (its invoice failed after the
// count) is not counted twice.

const findCustomer = `query Find($q: String!) {
  customers(first: 1, query: $q) { edges { node { id email orderCount } } }
}`

// findFirstCustomer is the defect search-unfiltered: the search argument is
// left out, so the CRM answers its first customer.
const findFirstCustomer = `query Find {
  customers(first: 1) { edges { node { id email orderCount } } }
}`

const readCustomer = `query Read($id: ID!) { customer(id: $id) { id orderCount } }`

const upsertCustomer = `mutation Upsert($input: CustomerInput!) {
  upsertCustomer(input: $input) { customer { id email orderCount } created }
}`

const setOrderCount = `mutation Count($input: CustomerOrderCountInput!) {
  customerOrderCountSet(input: $input) { customer { id orderCount } userErrors { field message code } }
}`

// maxStaleRetries bounds the compare-and-set loop of one order.
const maxStaleRetries = 50

// crmCustomer is what the sync reads of a CRM customer.
type crmCustomer struct {
	ID         string `json:"id"`
	Email      string `json:"email"`
	OrderCount int    `json:"orderCount"`
}

// graphql posts one operation and decodes its data into out; GraphQL
// errors are a 422 vendor error (the request was wrong, not the CRM down).
func (c *crm) graphql(ctx context.Context, query, op string, vars map[string]any, out any) error {
	req := map[string]any{"query": query, "operationName": op, "variables": vars}
	var answer struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := c.post(ctx, "/graphql", nil, req, &answer); err != nil {
		return err
	}
	if len(answer.Errors) > 0 {
		return &vendorError{Vendor: c.name, Status: http.StatusUnprocessableEntity, Detail: answer.Errors[0].Message}
	}
	if err := json.Unmarshal(answer.Data, out); err != nil {
		return fmt.Errorf("%s: unreadable data: %w: %w", c.name, errTransport, err)
	}
	return nil
}

// countOrder finds or creates the order's customer and raises its order
// count by one.
func (s *service) countOrder(ctx context.Context, o order) error {
	if !s.claimCount(o.ID) {
		return nil // counted already
	}
	counted := false
	defer func() {
		if !counted {
			s.releaseCount(o.ID)
		}
	}()
	cust, found, err := s.crm.find(ctx, o.Customer.Email, s.cfg.Defect == "search-unfiltered")
	if err != nil {
		return err
	}
	if !found {
		if cust, err = s.crm.upsert(ctx, o); err != nil {
			return err
		}
	}
	step := 1
	if s.cfg.Defect == "count-items" {
		step = 0
		for _, li := range o.LineItems {
			step += li.Quantity
		}
	}
	for range maxStaleRetries {
		var expect *int
		if s.cfg.Defect != "blind-count" {
			expect = &cust.OrderCount
		}
		stale, err := s.crm.setCount(ctx, cust.ID, cust.OrderCount+step, expect)
		if err != nil {
			return err
		}
		if !stale {
			counted = true
			return nil
		}
		if cust.OrderCount, err = s.crm.count(ctx, cust.ID); err != nil {
			return err
		}
	}
	return fmt.Errorf("crm: the order count of %s kept changing: %d stale writes", cust.ID, maxStaleRetries)
}

// claimCount marks an order as being counted; false when it is or was.
func (s *service) claimCount(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.counted[id] {
		return false
	}
	s.counted[id] = true
	return true
}

func (s *service) releaseCount(id string) {
	s.mu.Lock()
	delete(s.counted, id)
	s.mu.Unlock()
}

// find looks a customer up by the CRM's search argument.
func (c *crm) find(ctx context.Context, email string, unfiltered bool) (crmCustomer, bool, error) {
	var data struct {
		Customers struct {
			Edges []struct {
				Node crmCustomer `json:"node"`
			} `json:"edges"`
		} `json:"customers"`
	}
	var err error
	if unfiltered {
		err = c.graphql(ctx, findFirstCustomer, "Find", map[string]any{}, &data)
	} else {
		err = c.graphql(ctx, findCustomer, "Find", map[string]any{"q": "email:" + strconv.Quote(email)}, &data)
	}
	if err != nil || len(data.Customers.Edges) == 0 {
		return crmCustomer{}, false, err
	}
	return data.Customers.Edges[0].Node, true, nil
}

// upsert creates (or updates, by email) the order's customer.
func (c *crm) upsert(ctx context.Context, o order) (crmCustomer, error) {
	var data struct {
		UpsertCustomer struct {
			Customer crmCustomer `json:"customer"`
		} `json:"upsertCustomer"`
	}
	err := c.graphql(ctx, upsertCustomer, "Upsert", map[string]any{"input": map[string]any{
		"email": o.Customer.Email, "firstName": o.Customer.FirstName, "lastName": o.Customer.LastName, "source": "shop",
	}}, &data)
	return data.UpsertCustomer.Customer, err
}

// setCount writes a customer's order count, expecting the count it read
// when expect is set; stale says the CRM refused it as stale.
func (c *crm) setCount(ctx context.Context, id string, n int, expect *int) (stale bool, err error) {
	input := map[string]any{"id": id, "orderCount": n}
	if expect != nil {
		input["compareOrderCount"] = *expect
	}
	var data struct {
		Set struct {
			UserErrors []struct {
				Message string `json:"message"`
				Code    string `json:"code"`
			} `json:"userErrors"`
		} `json:"customerOrderCountSet"`
	}
	if err := c.graphql(ctx, setOrderCount, "Count", map[string]any{"input": input}, &data); err != nil {
		return false, err
	}
	if len(data.Set.UserErrors) == 0 {
		return false, nil
	}
	if ue := data.Set.UserErrors[0]; ue.Code != "STALE" {
		return false, &vendorError{Vendor: c.name, Status: http.StatusUnprocessableEntity, Detail: ue.Message}
	}
	return true, nil
}

// count reads a customer's order count again.
func (c *crm) count(ctx context.Context, id string) (int, error) {
	var data struct {
		Customer *crmCustomer `json:"customer"`
	}
	if err := c.graphql(ctx, readCustomer, "Read", map[string]any{"id": id}, &data); err != nil {
		return 0, err
	}
	if data.Customer == nil {
		return 0, errors.New("crm: the customer being counted is gone")
	}
	return data.Customer.OrderCount, nil
}
