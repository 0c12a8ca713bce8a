package wusp

// XML namespaces (MS-WUSP §2.2.1).
const (
	// NSSoap is the SOAP 1.1 envelope namespace; WUA speaks SOAP 1.1 only.
	NSSoap = "http://schemas.xmlsoap.org/soap/envelope/"
	// NSSoap12 is the SOAP 1.2 envelope namespace. ASMX answered a SOAP 1.2
	// request in SOAP 1.2 (the WSUS WSDLs carry SOAP 1.2 bindings, MS-WUSP
	// §6); no Windows Update Agent sends one.
	NSSoap12 = "http://www.w3.org/2003/05/soap-envelope"
	// NSXSI and NSXSD are declared on every response envelope, as ASMX does.
	NSXSI = "http://www.w3.org/2001/XMLSchema-instance"
	NSXSD = "http://www.w3.org/2001/XMLSchema"

	// NSSimpleAuth is the target namespace of SimpleAuthWebService.
	NSSimpleAuth = "http://www.microsoft.com/SoftwareDistribution/Server/SimpleAuthWebService"
	// NSClient is the target namespace of ClientWebService.
	NSClient = "http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService"
	// NSReporting is the target namespace of the reporting web service.
	NSReporting = "http://www.microsoft.com/SoftwareDistribution"
)
