package openapi

// reportIgnored marks the journal entry with the query parameters a list
// answered without, and names each in the log the first time an operation
// gets it: a filter the mock cannot read is never silently dropped. An API
// key sent in the query is a credential, not a filter.
func (s *stateful) reportIgnored(x *exchange, ignored []string) {
	for _, name := range ignored {
		if s.credential(name) {
			continue
		}
		x.Entry.Ignored = append(x.Entry.Ignored, name)
		if _, seen := s.warned.LoadOrStore(x.Operation+"\x00"+name, true); !seen {
			s.m.logger.Warn("mock: a list query parameter the mock cannot interpret was ignored; the list is not filtered by it",
				"mock", s.m.name, "operation", x.Operation, "parameter", name)
		}
	}
}

// credential reports whether a query parameter carries an API key of one
// of the contract's security schemes.
func (s *stateful) credential(name string) bool {
	for _, sc := range s.m.schemes {
		if sc != nil && sc.Type == "apiKey" && sc.In == "query" && sc.Name == name {
			return true
		}
	}
	return false
}
