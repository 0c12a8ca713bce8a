#!/usr/bin/python3
"""Check wsusmock's WSDL contract and zeep_walk.py offline, with no wsusmock.

    /usr/bin/python3 check_contract.py [--wsdl-dir DIR] [--dump DIR]

1. zeep loads fixtures/wsdl/{SimpleAuth,Client,Reporting}.wsdl and the SP2
   Client32.wsdl; each must have exactly the WSUS 3.0 SP1 (SP2) operations, SOAP 1.1 document/literal bindings,
   the right SOAPActions and addresses, and the element order listed below.
2. The XML Schema inside each <wsdl:types> is extracted to .xsd files and
   xmllint validates a sample of every request and response body element
   (plus some that must be rejected, so the check cannot pass vacuously).
3. zeep decodes every sample response.
4. zeep_walk.py runs against a stub server that serves the WSDL and answers
   with the samples: a full walk, a KB954960 fault on SyncUpdates (HTTP 500
   and 200), --fault-probe, --dry-run and an unreachable server.

Exit 0 when everything holds; otherwise the failures are listed on stderr.
Needs Debian packages python3-zeep and libxml2-utils.
"""

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import zeep
from lxml import etree

from wsdlschema import SOAP_ENV, XS, extract_schemas, xmllint

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_WSDL_DIR = os.path.join(HERE, "..", "..", "fixtures", "wsdl")
WALK = os.path.join(HERE, "zeep_walk.py")

CLIENT_NS = "http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService"
SIMPLEAUTH_NS = "http://www.microsoft.com/SoftwareDistribution/Server/SimpleAuthWebService"
REPORTING_NS = "http://www.microsoft.com/SoftwareDistribution"

# What each file must declare: service, port (= binding) and address, and per
# operation the children of the request element and of the response element.
CONTRACT = {
    "SimpleAuth.wsdl": {
        "tns": SIMPLEAUTH_NS, "service": "SimpleAuth", "port": "SimpleAuthSoap",
        "path": "/SimpleAuthWebService/SimpleAuth.asmx",
        "operations": {
            "GetAuthorizationCookie": (["clientId", "targetGroupName", "dnsName"], ["GetAuthorizationCookieResult"]),
        },
    },
    "Client.wsdl": {
        "tns": CLIENT_NS, "service": "Client", "port": "ClientSoap",
        "path": "/ClientWebService/client.asmx",
        "operations": {
            "GetConfig": (["protocolVersion"], ["GetConfigResult"]),
            "GetCookie": (["authCookies", "oldCookie", "lastChange", "currentTime", "protocolVersion"], ["GetCookieResult"]),
            "RegisterComputer": (["cookie", "computerInfo"], []),
            "SyncUpdates": (["cookie", "parameters"], ["SyncUpdatesResult"]),
            "RefreshCache": (["cookie", "globalIDs"], ["RefreshCacheResult"]),
            "GetExtendedUpdateInfo": (["cookie", "revisionIDs", "infoTypes", "locales"], ["GetExtendedUpdateInfoResult"]),
            "GetFileLocations": (["cookie", "fileDigests"], ["GetFileLocationsResult"]),
        },
    },
    "Reporting.wsdl": {
        "tns": REPORTING_NS, "service": "WebService", "port": "WebServiceSoap",
        "path": "/ReportingWebService/ReportingWebService.asmx",
        "operations": {
            "ReportEventBatch": (["cookie", "clientTime", "eventBatch"], ["ReportEventBatchResult"]),
        },
    },
}

# Element order of the complex types, "name min..max" with "?" for nillable.
# Servers encoding responses must follow the same order.
TYPES = {
    "SimpleAuth.wsdl": {
        "AuthorizationCookie": ["PlugInId 0..1", "CookieData 0..1"],
    },
    "Client.wsdl": {
        "Config": ["LastChange 1..1", "IsRegistrationRequired 1..1", "AuthInfo 0..1", "AllowedEventIds 0..1", "Properties 0..1"],
        "AuthPlugInInfo": ["PlugInID 0..1", "ServiceUrl 0..1", "Parameter 0..1"],
        "ConfigurationProperty": ["Name 0..1", "Value 0..1"],
        "AuthorizationCookie": ["PlugInId 0..1", "CookieData 0..1"],
        "Cookie": ["Expiration 1..1", "EncryptedData 0..1"],
        "ComputerInfo": ["DnsName 0..1", "OSMajorVersion 1..1", "OSMinorVersion 1..1", "OSBuildNumber 1..1",
                         "OSServicePackMajorNumber 1..1", "OSServicePackMinorNumber 1..1", "OSLocale 0..1",
                         "ComputerManufacturer 0..1", "ComputerModel 0..1", "BiosVersion 0..1", "BiosName 0..1",
                         "BiosReleaseDate 1..1", "ProcessorArchitecture 0..1", "SuiteMask 1..1", "OldProductType 1..1",
                         "NewProductType 1..1", "SystemMetrics 1..1", "ClientVersionMajorNumber 1..1",
                         "ClientVersionMinorNumber 1..1", "ClientVersionBuildNumber 1..1", "ClientVersionQfeNumber 1..1"],
        "SyncUpdateParameters": ["ExpressQuery 1..1", "InstalledNonLeafUpdateIDs 0..1", "OtherCachedUpdateIDs 0..1",
                                 "SystemSpec 0..1", "CachedDriverIDs 0..1", "SkipSoftwareSync 1..1"],
        "Device": ["HardwareIDs 0..1", "CompatibleIDs 0..1", "installedDriver 0..1"],
        "InstalledDriver": ["MatchingID 0..1", "DriverVerDate 1..1", "DriverVerVersion 1..1", "Class 0..1",
                            "Manufacturer 0..1", "Provider 0..1", "Model 0..1"],
        "SyncInfo": ["NewUpdates 0..1", "OutOfScopeRevisionIDs 0..1", "ChangedUpdates 0..1", "Truncated 1..1", "NewCookie 0..1"],
        "UpdateInfo": ["ID 1..1", "Deployment 0..1", "IsLeaf 1..1", "Xml 0..1"],
        "Deployment": ["ID 1..1", "Action 1..1", "Deadline 0..1", "IsAssigned 1..1", "LastChangeTime 1..1",
                       "DownloadPriority 0..1", "HardwareIds 0..1", "AutoSelect 0..1", "AutoDownload 0..1",
                       "SupersedenceBehavior 0..1", "FlagBitmask 0..1"],
        "UpdateIdentity": ["UpdateID 1..1", "RevisionNumber 1..1"],
        "RefreshCacheResult": ["RevisionID 1..1", "GlobalID 0..1", "IsLeaf 1..1", "Deployment 0..1"],
        "ExtendedUpdateInfo": ["Updates 0..1", "FileLocations 0..1", "OutOfScopeRevisionIDs 0..1"],
        "UpdateData": ["ID 1..1", "Xml 0..1"],
        "FileLocation": ["FileDigest 0..1", "Url 0..1"],
        "GetFileLocationsResults": ["FileLocations 0..1", "NewCookie 0..1"],
        "ArrayOfInt": ["int 0..n"],
        "ArrayOfString": ["string 0..n?"],
        "ArrayOfBase64Binary": ["base64Binary 0..n?"],
        "ArrayOfUpdateInfo": ["UpdateInfo 0..n?"],
        "ArrayOfRefreshCacheResult": ["RefreshCacheResult 0..n?"],
        "ArrayOfXmlUpdateFragmentType": ["XmlUpdateFragmentType 0..n"],
    },
    "Reporting.wsdl": {
        "Cookie": ["Expiration 1..1", "EncryptedData 0..1"],
        "ReportingEvent": ["BasicData 0..1", "ExtendedData 0..1", "PrivateData 0..1"],
        "BasicData": ["TargetID 0..1", "SequenceNumber 1..1", "TimeAtTarget 1..1", "EventInstanceID 1..1",
                      "NamespaceID 1..1", "EventID 1..1", "SourceID 1..1", "UpdateID 0..1", "Win32HResult 1..1",
                      "AppName 0..1"],
        "ExtendedData": ["ReplacementStrings 0..1", "MiscData 0..1", "ComputerBrand 0..1", "ComputerModel 0..1",
                         "BiosRevision 0..1", "ProcessorArchitecture 1..1", "OSVersion 1..1", "OSLocaleID 1..1",
                         "DeviceID 0..1"],
        "DetailedVersion": ["Major 1..1", "Minor 1..1", "Build 1..1", "Revision 1..1", "ServicePackMajor 1..1",
                            "ServicePackMinor 1..1"],
        "PrivateData": ["ComputerDnsName 0..1", "UserAccountName 0..1"],
    },
}

ENUMS = {
    ("Client.wsdl", "DeploymentAction"): ["Install", "Uninstall", "PreDeploymentCheck", "Block", "Evaluate", "Bundle"],
    ("Client.wsdl", "XmlUpdateFragmentType"): ["Published", "Core", "Extended", "VerificationRule", "LocalizedProperties", "Eula"],
    ("Reporting.wsdl", "ProcessorArchitecture"): ["Unknown", "X86Compatible", "IA64Compatible", "Amd64Compatible"],
}

COOKIE = "<cookie><Expiration>2008-06-20T10:00:00Z</Expiration><EncryptedData>AAECAw==</EncryptedData></cookie>"
NEW_COOKIE = "<NewCookie><Expiration>2008-06-25T10:00:00.1234567Z</Expiration><EncryptedData>BAUGBw==</EncryptedData></NewCookie>"
CORE_XML = ("&lt;UpdateIdentity UpdateID=\"e9e8c4e8-4a88-4f2e-9a4b-7bd7d1b7e001\" RevisionNumber=\"101\" /&gt;"
            "&lt;Properties UpdateType=\"Software\" /&gt;&lt;Relationships&gt;&lt;/Relationships&gt;")
GUID = "e9e8c4e8-4a88-4f2e-9a4b-7bd7d1b7e001"

# One sample of every body element. Requests use every optional element at
# least once; zeep_walk's own requests are checked separately. Responses are
# what a WSUS 3.0 SP1 server sends, so they double as encoder references.
SAMPLES = {
    "SimpleAuth.wsdl": {
        "GetAuthorizationCookie": "<clientId>5c7f4f80-3896-4d10-8a38-469286a0febc</clientId><targetGroupName /><dnsName>qa-xp01.example.test</dnsName>",
        "GetAuthorizationCookieResponse": "<GetAuthorizationCookieResult><PlugInId>SimpleTargeting</PlugInId><CookieData>AQIDBA==</CookieData></GetAuthorizationCookieResult>",
    },
    "Client.wsdl": {
        "GetConfig": "<protocolVersion>1.0</protocolVersion>",
        "GetConfigResponse": (
            "<GetConfigResult><LastChange>2008-06-18T09:00:00.0000000Z</LastChange>"
            "<IsRegistrationRequired>true</IsRegistrationRequired>"
            "<AuthInfo><AuthPlugInInfo><PlugInID>SimpleTargeting</PlugInID>"
            "<ServiceUrl>SimpleAuthWebService/SimpleAuth.asmx</ServiceUrl><Parameter /></AuthPlugInInfo></AuthInfo>"
            "<AllowedEventIds><int>147</int><int>148</int></AllowedEventIds>"
            "<Properties>"
            "<ConfigurationProperty><Name>MaxExtendedUpdatesPerRequest</Name><Value>50</Value></ConfigurationProperty>"
            "<ConfigurationProperty><Name>PackageServerShare</Name><Value>\\\\WSUS01\\UpdateServicesPackages</Value></ConfigurationProperty>"
            "<ConfigurationProperty><Name>ProtocolVersion</Name><Value>3.1</Value></ConfigurationProperty>"
            "<ConfigurationProperty><Name>IsInventoryRequired</Name><Value>0</Value></ConfigurationProperty>"
            "<ConfigurationProperty><Name>ClientReportingLevel</Name><Value>2</Value></ConfigurationProperty>"
            "</Properties></GetConfigResult>"),
        "GetCookie": (
            "<authCookies><AuthorizationCookie><PlugInId>SimpleTargeting</PlugInId><CookieData>AQIDBA==</CookieData>"
            "</AuthorizationCookie></authCookies>"
            "<oldCookie><Expiration>2008-06-19T10:00:00Z</Expiration><EncryptedData>AAECAw==</EncryptedData></oldCookie>"
            "<lastChange>2008-06-18T09:00:00Z</lastChange><currentTime>2008-06-20T10:00:00Z</currentTime>"
            "<protocolVersion>1.0</protocolVersion>"),
        "GetCookieResponse": "<GetCookieResult><Expiration>2008-06-25T10:00:00.1234567Z</Expiration><EncryptedData>AAECAw==</EncryptedData></GetCookieResult>",
        "RegisterComputer": COOKIE + (
            "<computerInfo><DnsName>qa-xp01.example.test</DnsName><OSMajorVersion>5</OSMajorVersion>"
            "<OSMinorVersion>1</OSMinorVersion><OSBuildNumber>2600</OSBuildNumber>"
            "<OSServicePackMajorNumber>3</OSServicePackMajorNumber><OSServicePackMinorNumber>0</OSServicePackMinorNumber>"
            "<OSLocale>en-US</OSLocale><ComputerManufacturer>Dell Inc.</ComputerManufacturer>"
            "<ComputerModel>OptiPlex GX620</ComputerModel><BiosVersion>DELL   - 7</BiosVersion>"
            "<BiosName>Phoenix ROM BIOS PLUS Version 1.10 A06</BiosName><BiosReleaseDate>2006-02-20T00:00:00Z</BiosReleaseDate>"
            "<ProcessorArchitecture>x86</ProcessorArchitecture><SuiteMask>256</SuiteMask><OldProductType>1</OldProductType>"
            "<NewProductType>0</NewProductType><SystemMetrics>0</SystemMetrics>"
            "<ClientVersionMajorNumber>7</ClientVersionMajorNumber><ClientVersionMinorNumber>0</ClientVersionMinorNumber>"
            "<ClientVersionBuildNumber>6000</ClientVersionBuildNumber><ClientVersionQfeNumber>374</ClientVersionQfeNumber>"
            "</computerInfo>"),
        "RegisterComputerResponse": "",
        "SyncUpdates": COOKIE + (
            "<parameters><ExpressQuery>false</ExpressQuery>"
            "<InstalledNonLeafUpdateIDs><int>109</int><int>191</int></InstalledNonLeafUpdateIDs>"
            "<OtherCachedUpdateIDs><int>101</int></OtherCachedUpdateIDs>"
            "<SystemSpec><Device><HardwareIDs><string>PCI\\VEN_8086&amp;DEV_27C5</string></HardwareIDs>"
            "<CompatibleIDs><string>PCI\\CC_0106</string></CompatibleIDs>"
            "<installedDriver><MatchingID>PCI\\VEN_8086&amp;DEV_27C5</MatchingID>"
            "<DriverVerDate>2006-01-01T00:00:00</DriverVerDate><DriverVerVersion>1688849860263936</DriverVerVersion>"
            "<Class>hdc</Class><Manufacturer>Intel</Manufacturer><Provider>Microsoft</Provider><Model>ICH7</Model>"
            "</installedDriver></Device></SystemSpec>"
            "<CachedDriverIDs><int>4000</int></CachedDriverIDs>"
            "<SkipSoftwareSync>true</SkipSoftwareSync></parameters>"),
        "SyncUpdatesResponse": (
            "<SyncUpdatesResult><NewUpdates>"
            "<UpdateInfo><ID>8862</ID><Deployment><ID>20001</ID><Action>Install</Action>"
            "<Deadline>2008-07-01T00:00:00</Deadline><IsAssigned>true</IsAssigned>"
            "<LastChangeTime>2008-06-18</LastChangeTime><DownloadPriority>1</DownloadPriority>"
            "<HardwareIds><string>PCI\\VEN_8086&amp;DEV_27C5</string></HardwareIds>"
            "<AutoSelect>0</AutoSelect><AutoDownload>0</AutoDownload><SupersedenceBehavior>0</SupersedenceBehavior>"
            "<FlagBitmask>0</FlagBitmask>"
            "</Deployment><IsLeaf>true</IsLeaf><Xml>" + CORE_XML + "</Xml></UpdateInfo>"
            "<UpdateInfo><ID>8863</ID><Deployment><ID>20002</ID><Action>Bundle</Action><IsAssigned>true</IsAssigned>"
            "<LastChangeTime>2008-06-18</LastChangeTime></Deployment><IsLeaf>false</IsLeaf><Xml>" + CORE_XML + "</Xml></UpdateInfo>"
            "</NewUpdates><OutOfScopeRevisionIDs><int>42</int></OutOfScopeRevisionIDs>"
            "<ChangedUpdates><UpdateInfo><ID>191</ID><Deployment><ID>20003</ID><Action>Evaluate</Action>"
            "<IsAssigned>false</IsAssigned><LastChangeTime>2008-06-18</LastChangeTime></Deployment><IsLeaf>false</IsLeaf>"
            "</UpdateInfo></ChangedUpdates><Truncated>false</Truncated>" + NEW_COOKIE + "</SyncUpdatesResult>"),
        "RefreshCache": COOKIE + "<globalIDs><UpdateIdentity><UpdateID>" + GUID + "</UpdateID><RevisionNumber>101</RevisionNumber></UpdateIdentity></globalIDs>",
        "RefreshCacheResponse": (
            "<RefreshCacheResult><RefreshCacheResult><RevisionID>8862</RevisionID>"
            "<GlobalID><UpdateID>" + GUID + "</UpdateID><RevisionNumber>101</RevisionNumber></GlobalID>"
            "<IsLeaf>true</IsLeaf><Deployment><ID>20001</ID><Action>Install</Action><IsAssigned>true</IsAssigned>"
            "<LastChangeTime>2008-06-18</LastChangeTime></Deployment></RefreshCacheResult></RefreshCacheResult>"),
        "GetExtendedUpdateInfo": COOKIE + (
            "<revisionIDs><int>8862</int><int>8863</int></revisionIDs>"
            "<infoTypes><XmlUpdateFragmentType>Extended</XmlUpdateFragmentType>"
            "<XmlUpdateFragmentType>LocalizedProperties</XmlUpdateFragmentType></infoTypes>"
            "<locales><string>en</string></locales>"),
        "GetExtendedUpdateInfoResponse": (
            "<GetExtendedUpdateInfoResult><Updates><Update><ID>8862</ID><Xml>&lt;ExtendedProperties /&gt;</Xml></Update>"
            "<Update><ID>8863</ID><Xml>&lt;LocalizedProperties&gt;&lt;Language&gt;en&lt;/Language&gt;&lt;/LocalizedProperties&gt;</Xml></Update></Updates>"
            "<FileLocations><FileLocation><FileDigest>AAAAAAAAAAAAAAAAAAAAAAAAAAA=</FileDigest>"
            "<Url>http://wsus01:8530/Content/00/0000000000000000000000000000000000000000.exe</Url></FileLocation></FileLocations>"
            "<OutOfScopeRevisionIDs><int>42</int></OutOfScopeRevisionIDs></GetExtendedUpdateInfoResult>"),
        "GetFileLocations": COOKIE + "<fileDigests><base64Binary>AAAAAAAAAAAAAAAAAAAAAAAAAAA=</base64Binary></fileDigests>",
        "GetFileLocationsResponse": (
            "<GetFileLocationsResult><FileLocations><FileLocation><FileDigest>AAAAAAAAAAAAAAAAAAAAAAAAAAA=</FileDigest>"
            "<Url>http://wsus01:8530/Content/00/0000000000000000000000000000000000000000.exe</Url></FileLocation></FileLocations>"
            + NEW_COOKIE + "</GetFileLocationsResult>"),
    },
    "Reporting.wsdl": {
        "ReportEventBatch": COOKIE + (
            "<clientTime>2008-06-20T10:05:00Z</clientTime><eventBatch><ReportingEvent>"
            "<BasicData><TargetID><Sid>5c7f4f80-3896-4d10-8a38-469286a0febc</Sid></TargetID>"
            "<SequenceNumber>0</SequenceNumber><TimeAtTarget>2008-06-20T10:04:59.123</TimeAtTarget>"
            "<EventInstanceID>D61E5EE1-968B-4162-88BE-BCEA05C5992F</EventInstanceID><NamespaceID>1</NamespaceID>"
            "<EventID>147</EventID><SourceID>101</SourceID>"
            "<UpdateID><UpdateID>00000000-0000-0000-0000-000000000000</UpdateID><RevisionNumber>0</RevisionNumber></UpdateID>"
            "<Win32HResult>0</Win32HResult><AppName>AutomaticUpdates</AppName></BasicData>"
            "<ExtendedData><ReplacementStrings><string>2</string></ReplacementStrings>"
            "<MiscData><string>D=0</string><string>Q=1</string></MiscData>"
            "<ComputerBrand>Dell Inc.</ComputerBrand><ComputerModel>OptiPlex GX620</ComputerModel>"
            "<BiosRevision>A06</BiosRevision><ProcessorArchitecture>X86Compatible</ProcessorArchitecture>"
            "<OSVersion><Major>5</Major><Minor>1</Minor><Build>2600</Build><Revision>0</Revision>"
            "<ServicePackMajor>3</ServicePackMajor><ServicePackMinor>0</ServicePackMinor></OSVersion>"
            "<OSLocaleID>1033</OSLocaleID><DeviceID /></ExtendedData>"
            "<PrivateData><ComputerDnsName /><UserAccountName /></PrivateData>"
            "</ReportingEvent></eventBatch>"),
        "ReportEventBatchResponse": "<ReportEventBatchResult>true</ReportEventBatchResult>",
    },
}

# Body elements the schema must reject: (file, element, content, why).
MUST_FAIL = [
    ("Client.wsdl", "SyncUpdatesResponse",
     "<SyncUpdatesResult><Truncated>false</Truncated><OutOfScopeRevisionIDs /></SyncUpdatesResult>", "SyncInfo order"),
    ("Client.wsdl", "SyncUpdatesResponse",
     "<SyncUpdatesResult><Truncated>false</Truncated><DriverSyncNotNeeded>true</DriverSyncNotNeeded></SyncUpdatesResult>",
     "3.2-only SyncInfo element"),
    ("Client.wsdl", "SyncUpdatesResponse",
     "<SyncUpdatesResult><NewUpdates><UpdateInfo><ID>1</ID><Deployment><ID>1</ID><Action>OptionalInstall</Action>"
     "<IsAssigned>true</IsAssigned><LastChangeTime>2008-06-18</LastChangeTime></Deployment><IsLeaf>true</IsLeaf>"
     "</UpdateInfo></NewUpdates><Truncated>false</Truncated></SyncUpdatesResult>", "Windows 10 DeploymentAction"),
    ("Client.wsdl", "SyncUpdatesResponse", "<SyncUpdatesResult />", "missing Truncated"),
    ("Client.wsdl", "RefreshCache", COOKIE + "<globalIDs><UpdateIdentity><UpdateID>not-a-guid</UpdateID>"
     "<RevisionNumber>1</RevisionNumber></UpdateIdentity></globalIDs>", "guid pattern"),
    ("Client.wsdl", "RegisterComputerResponse", "<x />", "RegisterComputerResponse is empty"),
    ("Client.wsdl", "GetExtendedUpdateInfo", COOKIE + "<revisionIDs /><infoTypes><XmlUpdateFragmentType>FileUrl"
     "</XmlUpdateFragmentType></infoTypes>", "GetExtendedUpdateInfo2-only fragment type"),
    ("Reporting.wsdl", "ReportEventBatchResponse", "", "ReportEventBatchResult is required"),
]

# A 3.2 server (WSUS 3.0 SP2) serves Client32.wsdl: Client.wsdl plus
# StartCategoryScan and the 3.2 elements of SyncUpdates (MS-WUSP
# §2.2.2.2.4, §2.2.2.2.8). "variant" keeps it out of the stub server, which
# serves the SP1 contract.
_client_ops = list(CONTRACT["Client.wsdl"]["operations"].items())
CONTRACT["Client32.wsdl"] = dict(CONTRACT["Client.wsdl"], variant=True, operations=dict(
    _client_ops[:3] + [("StartCategoryScan", (["requestedCategories"], ["preferredCategoryIds", "requestedCategoryIdsInError"]))]
    + _client_ops[3:]))
TYPES["Client32.wsdl"] = dict(
    TYPES["Client.wsdl"],
    SyncUpdateParameters=TYPES["Client.wsdl"]["SyncUpdateParameters"] + ["FilterCategoryIds 0..1", "NeedTwoGroupOutOfScopeUpdates 0..1"],
    SyncInfo=TYPES["Client.wsdl"]["SyncInfo"] + ["DeployedOutOfScopeRevisionIds 0..1", "DriverSyncNotNeeded 0..1"],
    CategoryRelationship=["IndexOfAndGroup 1..1", "CategoryId 1..1"],
    CategoryIdentifier=["Id 1..1"],
    ArrayOfGuid=["guid 0..n"],
)
for (_file, _type), _values in list(ENUMS.items()):
    if _file == "Client.wsdl":
        ENUMS[("Client32.wsdl", _type)] = _values
# The StartCategoryScan exchange of a captured server (CaddyGlow/wsus-rs
# docs/fixtures/wsus-m0-native/scan/000005), and a SyncInfo with the 3.2
# elements as a 3.2 server sends them to a protocol 1.7 client.
SAMPLES["Client32.wsdl"] = dict(
    SAMPLES["Client.wsdl"],
    StartCategoryScan="<requestedCategories><CategoryRelationship><IndexOfAndGroup>0</IndexOfAndGroup>"
                      "<CategoryId>dd78b8a1-0b20-45c1-add6-4da72e9364cf</CategoryId></CategoryRelationship></requestedCategories>",
    StartCategoryScanResponse="<preferredCategoryIds><guid>dd78b8a1-0b20-45c1-add6-4da72e9364cf</guid></preferredCategoryIds>",
    SyncUpdatesResponse=SAMPLES["Client.wsdl"]["SyncUpdatesResponse"].replace(
        "</SyncUpdatesResult>", "<DeployedOutOfScopeRevisionIds /><DriverSyncNotNeeded>true</DriverSyncNotNeeded></SyncUpdatesResult>"),
)
MUST_FAIL += [
    ("Client32.wsdl", "StartCategoryScan", "<requestedCategories><CategoryRelationship><IndexOfAndGroup>0</IndexOfAndGroup>"
     "<CategoryId>Office 2003</CategoryId></CategoryRelationship></requestedCategories>", "CategoryId is a guid"),
    ("Client32.wsdl", "SyncUpdatesResponse",
     "<SyncUpdatesResult><Truncated>false</Truncated><DriverSyncNotNeeded>true</DriverSyncNotNeeded>"
     "<DeployedOutOfScopeRevisionIds /></SyncUpdatesResult>", "3.2 SyncInfo order"),
]


class Checker:
    def __init__(self):
        self.failures = []
        self.passed = 0

    def check(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failures.append(what)
            print("FAIL " + what, file=sys.stderr)


def occurs(element):
    text = "%s %d..%s" % (element.name, element.min_occurs,
                           "n" if element.max_occurs == "unbounded" else element.max_occurs)
    return text + ("?" if element.nillable else "")


def check_operations(c, name, want, binding):
    for op_name, (inputs, outputs) in want["operations"].items():
        op = binding.get(op_name)
        c.check(op.soapaction == want["tns"] + "/" + op_name, "%s %s: soapAction %s" % (name, op_name, op.soapaction))
        c.check(op.style == "document", "%s %s: style %s" % (name, op_name, op.style))
        c.check(op.input.body.qname == etree.QName(want["tns"], op_name), "%s %s: input element" % (name, op_name))
        c.check(op.output.body.qname == etree.QName(want["tns"], op_name + "Response"), "%s %s: output element" % (name, op_name))
        got_in = [n for n, _ in op.input.body.type.elements]
        got_out = [n for n, _ in op.output.body.type.elements]
        c.check(got_in == inputs, "%s %s: request children %s" % (name, op_name, got_in))
        c.check(got_out == outputs, "%s %s: response children %s" % (name, op_name, got_out))


def check_with_zeep(c, wsdl_dir, dump_dir):
    for name, want in CONTRACT.items():
        path = os.path.join(wsdl_dir, name)
        text = open(path).read()
        # As ASMX served it (MS-WUSP §6): the declaration first, no comment,
        # ASMX's namespace declarations, a SOAP 1.2 binding beside the 1.1 one.
        c.check(text.startswith('<?xml version="1.0" encoding="utf-8"?>\n<wsdl:definitions xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" '
                                'xmlns:tm="http://microsoft.com/wsdl/mime/textMatching/" xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" '
                                'xmlns:mime="http://schemas.xmlsoap.org/wsdl/mime/" xmlns:tns="%s"' % want["tns"]),
                "%s: does not start as ASMX's WSDLs do" % name)
        c.check("<!--" not in text, "%s: has an XML comment" % name)
        client = zeep.Client(wsdl=path)
        dump = io.StringIO()
        with contextlib.redirect_stdout(dump):
            client.wsdl.dump()
        if dump_dir:
            with open(os.path.join(dump_dir, name + ".dump.txt"), "w") as f:
                f.write(dump.getvalue())

        services = client.wsdl.services
        c.check(list(services) == [want["service"]], "%s: services %s" % (name, list(services)))
        ports = services[want["service"]].ports
        port12 = want["port"] + "12"
        c.check(list(ports) == [want["port"], port12], "%s: ports %s" % (name, list(ports)))
        c.check(list(client.wsdl.bindings) == ["{%s}%s" % (want["tns"], p) for p in (want["port"], port12)],
                "%s: bindings %s" % (name, list(client.wsdl.bindings)))
        for port_name, kind in ((want["port"], "Soap11Binding"), (port12, "Soap12Binding")):
            port = ports[port_name]
            c.check(port.binding_options["address"] == "http://localhost:8530" + want["path"],
                    "%s %s: address %s" % (name, port_name, port.binding_options["address"]))
            c.check(type(port.binding).__name__ == kind, "%s %s: binding %s" % (name, port_name, type(port.binding).__name__))
            c.check(list(port.binding._operations) == list(want["operations"]),
                    "%s %s: operations %s" % (name, port_name, list(port.binding._operations)))
            check_operations(c, name, want, port.binding)

        for type_name, fields in TYPES[name].items():
            t = client.get_type("{%s}%s" % (want["tns"], type_name))
            got = [occurs(e) for _, e in t.elements]
            c.check(got == fields, "%s %s: %s" % (name, type_name, got))
        # zeep keeps no enumeration facets, so read those from the file.
        for (file_name, type_name), values in ENUMS.items():
            if file_name == name:
                simple = etree.parse(path).find(".//{%s}simpleType[@name='%s']" % (XS, type_name))
                got = [e.get("value") for e in simple.iter("{%s}enumeration" % XS)]
                c.check(got == values, "%s %s: %s" % (name, type_name, got))
        guid_users = {"Client.wsdl": "UpdateIdentity", "Client32.wsdl": "UpdateIdentity", "Reporting.wsdl": "UpdateRevisionIdentifier"}
        if name in guid_users:
            t = client.get_type("{%s}%s" % (want["tns"], guid_users[name]))
            c.check(dict(t.elements)["UpdateID"].type.qname == etree.QName("http://microsoft.com/wsdl/types/", "guid"),
                    "%s: UpdateID is not s2:guid" % name)


def body_element(file_name, element, content):
    tns = CONTRACT[file_name]["tns"]
    return ('<%s xmlns="%s" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">%s</%s>'
            % (element, tns, content, element)).encode()


def check_with_xmllint(c, wsdl_dir, tmp_dir):
    schemas = {}
    for name in CONTRACT:
        schemas[name] = extract_schemas(os.path.join(wsdl_dir, name), tmp_dir)
        c.check(subprocess.run(["xmllint", "--noout", schemas[name]], capture_output=True).returncode == 0,
                "%s: extracted schema is not well-formed" % name)
    for name, samples in SAMPLES.items():
        expected = set()
        for op in CONTRACT[name]["operations"]:
            expected |= {op, op + "Response"}
        c.check(set(samples) == expected, "%s: samples cover %s" % (name, sorted(samples)))
        for element, content in samples.items():
            ok, err = xmllint(schemas[name], body_element(name, element, content), tmp_dir)
            c.check(ok, "%s %s: sample rejected: %s" % (name, element, err))
    for name, element, content, why in MUST_FAIL:
        ok, _ = xmllint(schemas[name], body_element(name, element, content), tmp_dir)
        c.check(not ok, "%s %s: accepted although invalid (%s)" % (name, element, why))
    return schemas


def envelope(body_xml):
    return ('<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="%s" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">'
            '<soap:Body>%s</soap:Body></soap:Envelope>' % (SOAP_ENV, body_xml)).encode()


def response_envelope(file_name, op):
    return envelope(body_element(file_name, op + "Response", SAMPLES[file_name][op + "Response"]).decode())


def check_zeep_decodes(c, wsdl_dir):
    for name, want in CONTRACT.items():
        client = zeep.Client(wsdl=os.path.join(wsdl_dir, name))
        binding = client.wsdl.bindings["{%s}%s" % (want["tns"], want["port"])]
        for op in want["operations"]:
            try:
                result = binding.get(op).process_reply(etree.fromstring(response_envelope(name, op)))
            except Exception as err:  # report every decoding problem, keep going
                c.check(False, "%s %s: zeep cannot decode the sample response: %s" % (name, op, err))
                continue
            if op == "SyncUpdates":
                c.check(len(result.NewUpdates.UpdateInfo) == 2 and result.NewUpdates.UpdateInfo[0].Deployment.Action == "Install",
                        "zeep decoded SyncInfo wrongly: %s" % result)
            elif op == "RegisterComputer":
                c.check(result is None, "RegisterComputerResponse decoded to %r" % result)
            else:
                c.check(result is not None, "%s %s: decoded to None" % (name, op))


# --- a stub server for zeep_walk.py -------------------------------------

def fault_envelope(code, error_code, action, actor):
    return envelope(
        "<soap:Fault><faultcode>%s</faultcode><faultstring>Fault occurred</faultstring>"
        "<faultactor>%s</faultactor><detail><ErrorCode>%s</ErrorCode><Message /><ID>c0a7445f-b989-43fa-ac20-11f8ca65fa8c</ID>"
        "<Method>\"%s\"</Method></detail></soap:Fault>" % (code, actor, error_code, action))


class Stub(ThreadingHTTPServer):
    """Serves the WSDL files and answers every operation with its sample.
    faults maps an operation to (faultcode, ErrorCode, HTTP status); replies
    maps an operation to the content of the <Op>Response to send instead."""

    def __init__(self, wsdl_dir, schemas, tmp_dir):
        super().__init__(("127.0.0.1", 0), StubHandler)
        self.wsdl_dir, self.schemas, self.tmp_dir = wsdl_dir, schemas, tmp_dir
        self.faults = {}
        self.replies = {}
        self.problems = []
        self.lock = threading.Lock()  # guards problems and the xmllint scratch file
        self.by_path = {want["path"].lower(): name for name, want in CONTRACT.items() if not want.get("variant")}

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.server_address[1]


class StubHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "text/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path, _, query = self.path.partition("?")
        name = self.server.by_path.get(path.lower())
        if name is None or query.lower() != "wsdl":
            return self.reply(404, b"")
        with open(os.path.join(self.server.wsdl_dir, name), "rb") as f:
            self.reply(200, f.read())

    def do_POST(self):
        srv = self.server
        name = srv.by_path.get(self.path.lower())
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        action = self.headers.get("SOAPAction", "")
        if name is None or not (action.startswith('"') and action.endswith('"')):
            with srv.lock:
                srv.problems.append("bad request: %s SOAPAction=%s" % (self.path, action))
            return self.reply(400, b"")
        tns = CONTRACT[name]["tns"]
        op = action.strip('"')[len(tns) + 1:]
        if op not in CONTRACT[name]["operations"]:
            with srv.lock:
                srv.problems.append("unknown SOAPAction %s" % action)
            return self.reply(500, fault_envelope("soap:Client", "InvalidParameters", action.strip('"'), srv.url + self.path))
        request = etree.fromstring(body).find("{%s}Body" % SOAP_ENV)[0]
        with srv.lock:
            if request.tag != "{%s}%s" % (tns, op):
                srv.problems.append("%s: body %s does not match SOAPAction" % (op, request.tag))
            ok, err = xmllint(srv.schemas[name], etree.tostring(request), srv.tmp_dir)
            if not ok:
                srv.problems.append("%s: request not valid: %s" % (op, err))
        if op in srv.faults:
            code, error_code, status = srv.faults[op]
            return self.reply(status, fault_envelope(code, error_code, action.strip('"'), srv.url + self.path))
        if op in srv.replies:
            return self.reply(200, envelope(body_element(name, op + "Response", srv.replies[op]).decode()))
        self.reply(200, response_envelope(name, op))


def run_walk(*args):
    run = subprocess.run([sys.executable, WALK] + list(args), capture_output=True, text=True, timeout=120)
    return run.returncode, run.stdout, run.stderr


def check_walk(c, wsdl_dir, schemas, tmp_dir):
    stub = Stub(wsdl_dir, schemas, tmp_dir)
    threading.Thread(target=stub.serve_forever, daemon=True).start()
    try:
        code, out, err = run_walk(stub.url)
        c.check(code == 0, "walk: exit %d, stderr %s" % (code, err))
        if code == 0:
            summary = json.loads(out)
            c.check(list(summary) == ["GetConfig", "GetAuthorizationCookie", "GetCookie", "RegisterComputer",
                                      "SyncUpdates", "GetExtendedUpdateInfo", "GetFileLocations", "RefreshCache",
                                      "ReportEventBatch"], "walk: operations %s" % list(summary))
            c.check(summary["GetConfig"]["ProtocolVersion"] == "3.1", "walk: ProtocolVersion")
            c.check(summary["GetAuthorizationCookie"]["PlugInId"] == "SimpleTargeting", "walk: PlugInId")
            c.check(summary["SyncUpdates"]["NewUpdates"] == 2, "walk: NewUpdates")
            c.check(summary["GetExtendedUpdateInfo"]["RequestedRevisionIDs"] == 2, "walk: revisionIDs")
            c.check(summary["ReportEventBatch"]["Result"] is True, "walk: ReportEventBatchResult")

        for status in (500, 200):  # ASP.NET's status, and the one the 2008 client log shows
            stub.faults = {"SyncUpdates": ("soap:Server", "InternalServerError", status)}
            code, out, err = run_walk(stub.url)
            c.check(code == 3, "walk with fault (HTTP %d): exit %d, stderr %s" % (status, code, err))
            if code == 3:
                fault = json.loads(out)["fault"]
                c.check(fault["operation"] == "SyncUpdates" and fault["code"] == "soap:Server"
                        and "<ErrorCode>InternalServerError</ErrorCode>" in fault["detail"]
                        and fault["http_status"] == status, "walk with fault: %s" % fault)

        # --validate: every body of the walk goes through xmllint; the
        # SyncUpdates fault reply is not validated, its request is.
        code, out, err = run_walk(stub.url, "--validate")
        c.check(code == 3 and json.loads(out).get("validated") == 9,
                "walk --validate with fault: exit %d, %s %s" % (code, out, err))
        stub.faults = {}
        code, out, err = run_walk(stub.url, "--validate")
        c.check(code == 0, "walk --validate: exit %d, stderr %s" % (code, err))
        if code == 0:
            c.check(json.loads(out).get("validated") == 18, "walk --validate: %s" % out)
        for bad in [m for m in MUST_FAIL if m[1].endswith("Response")]:
            _, element, content, why = bad
            op = element[:-len("Response")]
            stub.replies = {op: content}
            code, out, err = run_walk(stub.url, "--validate")
            c.check(code == 4 and ("zeep_walk: %s response is not valid against the WSDL" % op) in err,
                    "walk --validate, %s reply with %s: exit %d, stderr %s" % (op, why, code, err))
        stub.replies = {}

        stub.faults = {"SyncUpdates": ("soap:Client", "InvalidCookie", 200)}
        code, out, err = run_walk(stub.url, "--fault-probe")
        c.check(code == 0, "fault probe: exit %d, stderr %s" % (code, err))
        if code == 0:
            probe = json.loads(out)["fault_probe"]
            c.check([d["name"] for d in probe["detail_children"]] == ["ErrorCode", "Message", "ID", "Method"]
                    and all(d["namespace"] is None for d in probe["detail_children"])
                    and probe["detail_children"][0]["text"] == "InvalidCookie", "fault probe: %s" % probe)
        stub.faults = {}
        code, _, err = run_walk(stub.url, "--fault-probe")
        c.check(code == 1, "fault probe without a fault: exit %d" % code)

        c.check(not stub.problems, "stub saw: %s" % stub.problems)
    finally:
        stub.shutdown()
        stub.server_close()

    # Dry run: nothing listens on port 9, so any network use would fail.
    code, out, err = run_walk("http://127.0.0.1:9", "--wsdl-dir", wsdl_dir, "--dry-run", "--validate")
    c.check(code == 0, "dry run: exit %d, stderr %s" % (code, err))
    parts = [p for p in out.split("<!-- ")[1:]]
    c.check(len(parts) == 9, "dry run: %d envelopes" % len(parts))
    for part in parts:
        header, _, xml = part.partition(" -->\n")
        service, op, action = header.split(None, 2)
        file_name = {"SimpleAuth": "SimpleAuth.wsdl", "Client": "Client.wsdl", "Reporting": "Reporting.wsdl"}[service]
        tns = CONTRACT[file_name]["tns"]
        c.check(action == 'SOAPAction: "%s/%s"' % (tns, op), "dry run %s: %s" % (op, action))
        env = etree.fromstring(xml.encode())
        c.check(env.tag == "{%s}Envelope" % SOAP_ENV and len(env) == 1 and env[0].tag == "{%s}Body" % SOAP_ENV,
                "dry run %s: envelope shape" % op)
        request = env[0][0]
        c.check(request.tag == "{%s}%s" % (tns, op), "dry run %s: body element %s" % (op, request.tag))
        c.check(all(etree.QName(e).namespace == tns for e in request.iter() if isinstance(e.tag, str)),
                "dry run %s: an element is not in %s" % (op, tns))
        c.check([etree.QName(e).localname for e in request] == [n for n in CONTRACT[file_name]["operations"][op][0]
                                                                 if request.find("{%s}%s" % (tns, n)) is not None],
                "dry run %s: child order" % op)
        ok, verr = xmllint(schemas[file_name], etree.tostring(request), tmp_dir)
        c.check(ok, "dry run %s: request not valid: %s" % (op, verr))

    code, out, err = run_walk("http://127.0.0.1:9")
    c.check(code == 1 and err.startswith("zeep_walk: ") and not out, "unreachable server: exit %d, %r" % (code, err))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wsdl-dir", default=DEFAULT_WSDL_DIR)
    parser.add_argument("--dump", metavar="DIR", help="write zeep's wsdl.dump() of each file to DIR")
    args = parser.parse_args()

    c = Checker()
    with tempfile.TemporaryDirectory() as tmp_dir:
        check_with_zeep(c, args.wsdl_dir, args.dump)
        schemas = check_with_xmllint(c, args.wsdl_dir, tmp_dir)
        check_zeep_decodes(c, args.wsdl_dir)
        check_walk(c, args.wsdl_dir, schemas, tmp_dir)
    print("%d checks passed, %d failed" % (c.passed, len(c.failures)))
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main())
