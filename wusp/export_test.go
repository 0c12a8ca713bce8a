package wusp

// MarshalFaultWithEtree renders a fault with etree, the way every other
// message is written: the reference for MarshalFault's fast frame.
func MarshalFaultWithEtree(f *Fault) string {
	doc, body := newEnvelope()
	fault := faultElement(body, f.FaultCode(), f.FaultString, f.Actor)
	detail := fault.CreateElement("detail")
	detail.CreateElement("ErrorCode").SetText(string(f.Code))
	detail.CreateElement("Message").SetText(f.Message)
	detail.CreateElement("ID").SetText(f.ID)
	detail.CreateElement("Method").SetText(f.Method)
	return string(serialize(doc))
}

// retainedElements counts the elements a Document still references,
// reachable or not through its slices' lengths: what a pool would pin.
func retainedElements(d *Document) int {
	return cap(d.nodes)
}
