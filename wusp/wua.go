package wusp

import (
	"encoding/base64"
	"strconv"
)

// MarshalSyncUpdatesWUA writes a SyncUpdates request the way a Windows
// Update Agent 7.x wrote it with its ATL SOAP stack: a UTF-8 BOM, a
// SOAP-ENV prefix, indentation, soapenc:arrayType on every array and
// xsi:nil="1" for what the agent leaves out. It is the request the
// benchmarks and load runs repeat, because its shape, not only its size,
// is what a server's parser pays for; MarshalRequest writes the compact
// XmlSerializer shape instead.
func MarshalSyncUpdatesWUA(r *SyncUpdatesRequest) []byte {
	b := make([]byte, 0, 1024+16*(len(r.Parameters.InstalledNonLeafUpdateIDs)+len(r.Parameters.OtherCachedUpdateIDs)))
	b = append(b, "\ufeff"+`<?xml version="1.0" encoding="utf-8"?>`+"\r\n"+
		`<SOAP-ENV:Envelope xmlns:SOAP-ENV="`+NSSoap+`" xmlns:xsi="`+NSXSI+`" xmlns:xsd="`+NSXSD+`" xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/">`+"\r\n"+
		"  <SOAP-ENV:Body>\r\n"+
		`    <SyncUpdates xmlns="`+NSClient+`">`+"\r\n"+
		"      <cookie>\r\n"+
		"        <Expiration>"...)
	b = append(b, FormatDateTime(r.Cookie.Expiration)...)
	b = append(b, "</Expiration>\r\n        <EncryptedData>"...)
	b = base64.StdEncoding.AppendEncode(b, r.Cookie.EncryptedData)
	b = append(b, "</EncryptedData>\r\n      </cookie>\r\n      <parameters>\r\n        <ExpressQuery>"...)
	b = strconv.AppendBool(b, r.Parameters.ExpressQuery)
	b = append(b, "</ExpressQuery>\r\n"...)
	b = appendWUAInts(b, "InstalledNonLeafUpdateIDs", r.Parameters.InstalledNonLeafUpdateIDs)
	b = appendWUAInts(b, "OtherCachedUpdateIDs", r.Parameters.OtherCachedUpdateIDs)
	b = append(b, "        <SystemSpec xsi:nil=\"1\" />\r\n"...)
	b = appendWUAInts(b, "CachedDriverIDs", r.Parameters.CachedDriverIDs)
	b = append(b, "        <SkipSoftwareSync>"...)
	b = strconv.AppendBool(b, r.Parameters.SkipSoftwareSync)
	return append(b, "</SkipSoftwareSync>\r\n      </parameters>\r\n    </SyncUpdates>\r\n  </SOAP-ENV:Body>\r\n</SOAP-ENV:Envelope>\r\n"...)
}

// appendWUAInts writes an ArrayOfInt as ATL did: an empty array is nil.
func appendWUAInts(b []byte, name string, ids []int) []byte {
	b = append(append(b, "        <"...), name...)
	if len(ids) == 0 {
		return append(b, " xsi:nil=\"1\" />\r\n"...)
	}
	b = append(b, ` soapenc:arrayType="xsd:int[`...)
	b = strconv.AppendInt(b, int64(len(ids)), 10)
	b = append(b, "]\">\r\n"...)
	for _, id := range ids {
		b = append(b, "          <int>"...)
		b = strconv.AppendInt(b, int64(id), 10)
		b = append(b, "</int>\r\n"...)
	}
	return append(append(append(b, "        </"...), name...), ">\r\n"...)
}
