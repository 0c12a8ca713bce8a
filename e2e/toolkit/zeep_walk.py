#!/usr/bin/python3
"""Walk a live wsusmock server with zeep, a third-party Python SOAP toolkit.

This is an example of driving wsusmock from something other than Go: zeep
reads the WSDL the server publishes (?wsdl), builds the requests from it and
decodes the answers, with no hand-written XML. It calls every operation of a
WSUS 3.0 SP1 server in the order a Windows XP SP3 client would during a scan:

    GetConfig -> GetAuthorizationCookie -> GetCookie -> RegisterComputer
    -> SyncUpdates -> GetExtendedUpdateInfo -> GetFileLocations
    -> RefreshCache -> ReportEventBatch

Usage:
    /usr/bin/python3 zeep_walk.py http://127.0.0.1:8530
    /usr/bin/python3 zeep_walk.py http://127.0.0.1:8530 --fault-probe
    /usr/bin/python3 zeep_walk.py http://127.0.0.1:8530 --wsdl-dir fixtures/wsdl --dry-run
    /usr/bin/python3 zeep_walk.py http://127.0.0.1:8530 --validate

Output and exit status:
    0  every call succeeded; stdout holds one JSON object, operation -> summary
    3  the server answered with a SOAP fault (for instance the KB954960
       InternalServerError on SyncUpdates); stdout holds {"fault": {...}}
    1  anything else went wrong; the message is on stderr
    2  bad command line
    4  (--validate) a request or reply body is not valid against the WSDL's
       schema; each failure (operation, xmllint's message, the body) is on
       stderr, and stdout holds what it would hold otherwise

--fault-probe calls GetConfig, then SyncUpdates with a garbage cookie, and
prints how zeep saw the fault; it exits 0 if zeep raised zeep.exceptions.Fault.

--wsdl-dir DIR reads SimpleAuth.wsdl, Client.wsdl and Reporting.wsdl from DIR
instead of fetching ?wsdl, and --dry-run prints the SOAP envelope of every
request instead of sending it, so the script can be checked without a server.

--validate checks every SOAP body of the run with xmllint against the XML
Schema of the WSDL: the schemas are extracted (see wsdlschema.py) from the
files the server serves at ?wsdl, or from --wsdl-dir. Each request zeep sends
and each raw reply the server returns must be a soap:Envelope whose soap:Body
holds exactly one element, the operation's request (or <Op>Response) element,
and that element must be valid. Fault replies are not validated (they belong
to SOAP, not to the WSDL's schema). The JSON summary gains "validated": N,
the number of bodies validated. With --dry-run the printed requests are
validated; with --fault-probe the exchanges of the probe.

Needs Debian's python3-zeep (apt-get install python3-zeep), and for
--validate xmllint (apt-get install libxml2-utils).
"""

import argparse
import datetime
import json
import os
import sys
import tempfile
import uuid

import zeep
import zeep.exceptions
from lxml import etree

from wsdlschema import SOAP_ENV, extract_schemas, xmllint

CLIENT_NS = "http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService"
SIMPLEAUTH_NS = "http://www.microsoft.com/SoftwareDistribution/Server/SimpleAuthWebService"
REPORTING_NS = "http://www.microsoft.com/SoftwareDistribution"

# The three web services of a WSUS server: where each lives below the server
# root, the WSDL file wsusmock ships for it, and its SOAP 1.1 binding.
SERVICES = {
    "SimpleAuth": ("SimpleAuthWebService/SimpleAuth.asmx", "SimpleAuth.wsdl",
                   "{%s}SimpleAuthSoap" % SIMPLEAUTH_NS),
    "Client": ("ClientWebService/client.asmx", "Client.wsdl",
               "{%s}ClientSoap" % CLIENT_NS),
    "Reporting": ("ReportingWebService/ReportingWebService.asmx", "Reporting.wsdl",
                  "{%s}WebServiceSoap" % REPORTING_NS),
}

DNS_NAME = "qa-xp01.example.test"
PROTOCOL_VERSION = "1.0"  # what WUA 7.0 (the WSUS 3.0 client) sends
ZERO_GUID = "00000000-0000-0000-0000-000000000000"
MAX_EXTENDED_INFO = 50

# The calls of walk(), in order.
WALK_ORDER = ["GetConfig", "GetAuthorizationCookie", "GetCookie", "RegisterComputer", "SyncUpdates",
              "GetExtendedUpdateInfo", "GetFileLocations", "RefreshCache", "ReportEventBatch"]


class RecordingTransport(zeep.Transport):
    """A zeep transport that remembers the HTTP status of the last answer.

    zeep turns a fault into an exception whether it came with HTTP 500 (what
    ASP.NET sends) or 200 (what the 2008 client log shows), so the status is
    recorded here to let users see which one the server chose.
    """

    last_status = None
    # Called with (address, headers, request bytes, response) after each
    # exchange, before zeep decodes the reply; --validate sets it.
    observer = None

    def post_xml(self, address, envelope, headers):
        response = super().post_xml(address, envelope, headers)
        self.last_status = response.status_code
        if self.observer is not None:
            self.observer(address, headers, envelope, response)
        return response


class Endpoints:
    """The three zeep service proxies, bound to the server under test."""

    def __init__(self, base_url, wsdl_dir=None):
        self.transport = RecordingTransport(timeout=10, operation_timeout=60)
        self.clients = {}
        self.proxies = {}
        self.addresses = {}  # service -> the URL its requests go to
        self.wsdls = {}  # service -> the WSDL's path or URL
        for name, (path, wsdl_file, binding) in SERVICES.items():
            address = base_url.rstrip("/") + "/" + path
            wsdl = os.path.join(wsdl_dir, wsdl_file) if wsdl_dir else address + "?wsdl"
            client = zeep.Client(wsdl=wsdl, transport=self.transport)
            self.clients[name] = client
            self.addresses[name] = address
            self.wsdls[name] = wsdl
            # Bind to the server under test whatever host the WSDL's
            # soap:address names (wsusmock's files say localhost:8530).
            self.proxies[name] = client.create_service(binding, address)

    def soap_action(self, service, operation):
        binding = SERVICES[service][2]
        return self.clients[service].wsdl.bindings[binding].get(operation).soapaction


class Validator:
    """Validates SOAP bodies with xmllint against the schema of each service's
    WSDL, collecting failures instead of raising, so that the walk goes on and
    every invalid body gets reported."""

    def __init__(self, ep, wsdl_dir, tmp_dir):
        self.tmp_dir = tmp_dir
        self.schemas = {}  # service -> path of the .xsd of its namespace
        self.namespaces = {}  # service -> its target namespace
        self.services = {address: name for name, address in ep.addresses.items()}
        self.validated = 0
        self.failures = []  # (operation, what, message, body)
        for name, (_, wsdl_file, binding) in SERVICES.items():
            self.namespaces[name] = etree.QName(binding).namespace
            if wsdl_dir:
                local = ep.wsdls[name]
            else:
                # The WSDL the server publishes, not the fixture it was made from.
                local = os.path.join(tmp_dir, wsdl_file)
                with open(local, "wb") as f:
                    f.write(ep.transport.load(ep.wsdls[name]))
            self.schemas[name] = extract_schemas(local, tmp_dir)

    def fail(self, operation, what, message, body):
        self.failures.append((operation, what, message, body))

    def check_envelope(self, service, operation, direction, envelope):
        """Validate the body element of envelope (bytes or an lxml element);
        direction is "request" or "response"."""
        tns = self.namespaces[service]
        element = operation if direction == "request" else operation + "Response"
        if isinstance(envelope, (bytes, str)):
            try:
                envelope = etree.fromstring(envelope.encode() if isinstance(envelope, str) else envelope)
            except etree.XMLSyntaxError as err:
                raw = envelope if isinstance(envelope, str) else envelope.decode("utf-8", "replace")
                return self.fail(operation, direction, "not XML: %s" % err, raw)
        whole = etree.tostring(envelope, encoding="unicode")
        if envelope.tag != "{%s}Envelope" % SOAP_ENV:
            return self.fail(operation, direction, "root is %s, not soap:Envelope" % envelope.tag, whole)
        body = envelope.find("{%s}Body" % SOAP_ENV)
        if body is None:
            return self.fail(operation, direction, "no soap:Body", whole)
        children = [c for c in body if isinstance(c.tag, str)]
        if len(children) != 1:
            return self.fail(operation, direction, "soap:Body has %d child elements, not 1" % len(children), whole)
        child = children[0]
        if direction == "response" and child.tag == "{%s}Fault" % SOAP_ENV:
            return  # a SOAP fault: not described by the WSDL's schema
        xml = etree.tostring(child)
        if child.tag != "{%s}%s" % (tns, element):
            return self.fail(operation, direction, "body element is %s, not {%s}%s" % (child.tag, tns, element),
                             xml.decode())
        ok, message = xmllint(self.schemas[service], xml, self.tmp_dir)
        self.validated += 1
        if not ok:
            # Name the body instead of the scratch file xmllint read it from.
            message = message.replace(os.path.join(self.tmp_dir, "instance.xml"), "%s-%s.xml" % (operation, direction))
            self.fail(operation, direction, message, xml.decode())

    def observe(self, address, headers, request, response):
        """RecordingTransport's observer: validate one exchange."""
        service = self.services.get(address)
        action = (headers.get("SOAPAction") or "").strip('"')
        operation = action.rsplit("/", 1)[-1]
        if service is None:
            return self.fail(operation, "request", "posted to unknown address %s" % address, "")
        self.check_envelope(service, operation, "request", request)
        self.check_envelope(service, operation, "response", response.content)

    def report(self):
        """Print every failure to stderr; the exit status the run ends with."""
        for operation, what, message, body in self.failures:
            print("zeep_walk: %s %s is not valid against the WSDL: %s\n%s" % (operation, what, message, body),
                  file=sys.stderr)
        return 4 if self.failures else 0


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def as_cookie(cookie):
    # Each service declares its own Cookie type (the Reporting one lives in
    # another namespace), so hand cookies over as plain values, not as the
    # typed object another service returned.
    return {"Expiration": cookie.Expiration, "EncryptedData": cookie.EncryptedData}


def xp_sp3_computer_info():
    """ComputerInfo of a Windows XP Professional SP3 client with WUA 7.0."""
    return {
        "DnsName": DNS_NAME,
        "OSMajorVersion": 5,
        "OSMinorVersion": 1,
        "OSBuildNumber": 2600,
        "OSServicePackMajorNumber": 3,
        "OSServicePackMinorNumber": 0,
        "OSLocale": "en-US",
        "ComputerManufacturer": "Dell Inc.",
        "ComputerModel": "OptiPlex GX620",
        "BiosVersion": "DELL   - 7",
        "BiosName": "Phoenix ROM BIOS PLUS Version 1.10 A06",
        "BiosReleaseDate": datetime.datetime(2006, 2, 20, tzinfo=datetime.timezone.utc),
        "ProcessorArchitecture": "x86",
        "SuiteMask": 256,  # VER_SUITE_SINGLEUSERTS: XP Professional
        "OldProductType": 1,  # VER_NT_WORKSTATION
        "NewProductType": 0,  # XP has no GetProductInfo
        "SystemMetrics": 0,
        "ClientVersionMajorNumber": 7,
        "ClientVersionMinorNumber": 0,
        "ClientVersionBuildNumber": 6000,
        "ClientVersionQfeNumber": 374,
    }


def first_sync_parameters():
    """The software pass of a client with an empty cache (MS-WUSP 3.1.5.7)."""
    return {
        "ExpressQuery": False,
        "InstalledNonLeafUpdateIDs": {"int": []},
        "OtherCachedUpdateIDs": {"int": []},
        "SkipSoftwareSync": False,
    }


def detection_finished_event(client_id, updates_found):
    """One AGENT_DETECTION_FINISHED (147) event, shaped like the MS-WUSP samples."""
    return {"ReportingEvent": [{
        "BasicData": {
            "TargetID": {"Sid": client_id},
            "SequenceNumber": 0,
            "TimeAtTarget": now(),
            "EventInstanceID": str(uuid.uuid4()).upper(),
            "NamespaceID": 1,
            "EventID": 147,
            "SourceID": 101,
            "UpdateID": {"UpdateID": ZERO_GUID, "RevisionNumber": 0},
            "Win32HResult": 0,
            "AppName": "AutomaticUpdates",
        },
        "ExtendedData": {
            "ReplacementStrings": {"string": [str(updates_found)]},
            "MiscData": {"string": ["D=0", "Q=1", "G=7.0.6000.374"]},
            "ComputerBrand": "Dell Inc.",
            "ComputerModel": "OptiPlex GX620",
            "BiosRevision": "A06",
            "ProcessorArchitecture": "X86Compatible",
            "OSVersion": {"Major": 5, "Minor": 1, "Build": 2600, "Revision": 0,
                          "ServicePackMajor": 3, "ServicePackMinor": 0},
            "OSLocaleID": 1033,
            "DeviceID": "",
        },
        "PrivateData": {"ComputerDnsName": "", "UserAccountName": ""},
    }]}


def config_properties(config):
    props = config.Properties.ConfigurationProperty if config.Properties else []
    return {p.Name: p.Value for p in props}


def items(array, name):
    """The items of an ArrayOfX value. zeep gives None for an absent array, and
    a plain list when the array is the whole result (RefreshCacheResult)."""
    if isinstance(array, list):
        return array
    return list(getattr(array, name) or []) if array is not None else []


def in_flight(summary):
    return next((op for op in WALK_ORDER if op not in summary), "walk")


def walk(ep, summary):
    """Run the scan, filling summary as each call succeeds."""
    client, auth, reporting = ep.proxies["Client"], ep.proxies["SimpleAuth"], ep.proxies["Reporting"]
    client_id = str(uuid.uuid4())

    config = client.GetConfig(protocolVersion=PROTOCOL_VERSION)
    props = config_properties(config)
    summary["GetConfig"] = {
        "LastChange": config.LastChange.isoformat(),
        "IsRegistrationRequired": config.IsRegistrationRequired,
        "AuthPlugIns": [a.PlugInID for a in items(config.AuthInfo, "AuthPlugInInfo")],
        "ProtocolVersion": props.get("ProtocolVersion"),
        "MaxExtendedUpdatesPerRequest": props.get("MaxExtendedUpdatesPerRequest"),
    }

    auth_cookie = auth.GetAuthorizationCookie(clientId=client_id, targetGroupName="", dnsName=DNS_NAME)
    summary["GetAuthorizationCookie"] = {
        "PlugInId": auth_cookie.PlugInId,
        "CookieDataBytes": len(auth_cookie.CookieData or b""),
    }

    cookie = client.GetCookie(
        authCookies={"AuthorizationCookie": [
            {"PlugInId": auth_cookie.PlugInId, "CookieData": auth_cookie.CookieData}]},
        oldCookie=None,
        lastChange=config.LastChange,
        currentTime=now(),
        protocolVersion=PROTOCOL_VERSION,
    )
    summary["GetCookie"] = {
        "Expiration": cookie.Expiration.isoformat(),
        "EncryptedDataBytes": len(cookie.EncryptedData or b""),
    }

    client.RegisterComputer(cookie=as_cookie(cookie), computerInfo=xp_sp3_computer_info())
    summary["RegisterComputer"] = {"registered": True}

    sync = client.SyncUpdates(cookie=as_cookie(cookie), parameters=first_sync_parameters())
    new_updates = items(sync.NewUpdates, "UpdateInfo")
    actions = {}
    for update in new_updates:
        action = update.Deployment.Action if update.Deployment else None
        actions[action] = actions.get(action, 0) + 1
    summary["SyncUpdates"] = {
        "NewUpdates": len(new_updates),
        "Actions": actions,
        "ChangedUpdates": len(items(sync.ChangedUpdates, "UpdateInfo")),
        "OutOfScopeRevisionIDs": len(items(sync.OutOfScopeRevisionIDs, "int")),
        "Truncated": sync.Truncated,
        "NewCookie": sync.NewCookie is not None,
    }
    cookie = sync.NewCookie or cookie

    limit = min(MAX_EXTENDED_INFO, int(props.get("MaxExtendedUpdatesPerRequest") or MAX_EXTENDED_INFO))
    revision_ids = [u.ID for u in new_updates][:limit]
    info = client.GetExtendedUpdateInfo(
        cookie=as_cookie(cookie),
        revisionIDs={"int": revision_ids},
        infoTypes={"XmlUpdateFragmentType": ["Extended", "LocalizedProperties"]},
        locales={"string": ["en"]},
    )
    summary["GetExtendedUpdateInfo"] = {
        "RequestedRevisionIDs": len(revision_ids),
        "Updates": len(items(info.Updates, "Update")),
        "FileLocations": len(items(info.FileLocations, "FileLocation")),
        "OutOfScopeRevisionIDs": len(items(info.OutOfScopeRevisionIDs, "int")),
    }

    locations = client.GetFileLocations(cookie=as_cookie(cookie), fileDigests={"base64Binary": [bytes(20)]})
    summary["GetFileLocations"] = {
        "FileLocations": len(items(locations.FileLocations, "FileLocation")),
        "NewCookie": locations.NewCookie is not None,
    }
    cookie = locations.NewCookie or cookie

    refreshed = client.RefreshCache(cookie=as_cookie(cookie), globalIDs={"UpdateIdentity": []})
    summary["RefreshCache"] = {"Results": len(items(refreshed, "RefreshCacheResult"))}

    reported = reporting.ReportEventBatch(
        cookie=as_cookie(cookie),
        clientTime=now(),
        eventBatch=detection_finished_event(client_id, len(new_updates)),
    )
    summary["ReportEventBatch"] = {"Result": reported}


def dry_run_requests(ep):
    """Every request of the walk as (service, operation, SOAPAction, envelope),
    built by zeep from the WSDL with stand-in cookies, without sending it."""
    cookie = {"Expiration": now(), "EncryptedData": b"dry-run cookie"}
    client_id = str(uuid.uuid4())
    calls = [
        ("Client", "GetConfig", {"protocolVersion": PROTOCOL_VERSION}),
        ("SimpleAuth", "GetAuthorizationCookie",
         {"clientId": client_id, "targetGroupName": "", "dnsName": DNS_NAME}),
        ("Client", "GetCookie", {
            "authCookies": {"AuthorizationCookie": [{"PlugInId": "SimpleTargeting", "CookieData": b"auth"}]},
            "oldCookie": None, "lastChange": now(), "currentTime": now(),
            "protocolVersion": PROTOCOL_VERSION}),
        ("Client", "RegisterComputer", {"cookie": cookie, "computerInfo": xp_sp3_computer_info()}),
        ("Client", "SyncUpdates", {"cookie": cookie, "parameters": first_sync_parameters()}),
        ("Client", "GetExtendedUpdateInfo", {
            "cookie": cookie, "revisionIDs": {"int": [8862, 8863]},
            "infoTypes": {"XmlUpdateFragmentType": ["Extended", "LocalizedProperties"]},
            "locales": {"string": ["en"]}}),
        ("Client", "GetFileLocations", {"cookie": cookie, "fileDigests": {"base64Binary": [bytes(20)]}}),
        ("Client", "RefreshCache", {"cookie": cookie, "globalIDs": {"UpdateIdentity": []}}),
        ("Reporting", "ReportEventBatch", {
            "cookie": cookie, "clientTime": now(), "eventBatch": detection_finished_event(client_id, 0)}),
    ]
    return [
        (service, op, ep.soap_action(service, op),
         ep.clients[service].create_message(ep.proxies[service], op, **kwargs))
        for service, op, kwargs in calls
    ]


def fault_as_json(operation, fault, ep):
    detail = fault.detail
    return {
        "operation": operation,
        "http_status": ep.transport.last_status,
        "code": fault.code,
        "message": fault.message,
        "actor": fault.actor,
        "detail": etree.tostring(detail, encoding="unicode") if detail is not None else None,
    }


def fault_probe(ep):
    """GetConfig, then SyncUpdates with a cookie the server never issued."""
    ep.proxies["Client"].GetConfig(protocolVersion=PROTOCOL_VERSION)
    garbage = {"Expiration": now() + datetime.timedelta(hours=1), "EncryptedData": b"not a wsusmock cookie"}
    try:
        ep.proxies["Client"].SyncUpdates(cookie=garbage, parameters=first_sync_parameters())
    except zeep.exceptions.Fault as fault:
        seen = fault_as_json("SyncUpdates", fault, ep)
        # WSUS fault details carry unqualified ErrorCode, Message, ID, Method.
        seen["detail_children"] = [
            {"name": etree.QName(child).localname, "namespace": etree.QName(child).namespace,
             "text": child.text or ""}
            for child in (fault.detail if fault.detail is not None else [])
            if isinstance(child.tag, str)
        ]
        print(json.dumps({"fault_probe": seen}, indent=2))
        return 0
    print("zeep_walk: SyncUpdates accepted a garbage cookie; no fault raised", file=sys.stderr)
    return 1


def main(argv):
    parser = argparse.ArgumentParser(description="Call every WSUS 3.0 SP1 operation of a wsusmock server with zeep.")
    parser.add_argument("base_url", metavar="BASE_URL", help="server root, e.g. http://127.0.0.1:8530")
    parser.add_argument("--wsdl-dir", help="read the WSDL files from this directory instead of BASE_URL/...?wsdl")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true", help="print the request envelopes, send nothing")
    mode.add_argument("--fault-probe", action="store_true", help="provoke a fault and show how zeep reports it")
    parser.add_argument("--validate", action="store_true",
                        help="validate every request and reply body with xmllint against the WSDL's schema (exit 4 if one is not valid)")
    args = parser.parse_args(argv)

    if not args.validate:
        return run(args, None)[0]
    with tempfile.TemporaryDirectory(prefix="zeep_walk-") as tmp_dir:
        code, validator = run(args, tmp_dir)
        # An invalid body outranks whatever it led to (a decoding error, say).
        return (validator.report() or code) if validator is not None else code


def run(args, validate_dir):
    """The run, without --validate's report: (exit status, the Validator or
    None). validate_dir is the scratch directory of --validate, or None."""
    summary = {}
    operation = "loading the WSDL"
    validator = None
    try:
        ep = Endpoints(args.base_url, args.wsdl_dir)
        if validate_dir is not None:
            validator = Validator(ep, args.wsdl_dir, validate_dir)
            ep.transport.observer = validator.observe
        if args.dry_run:
            for service, op, action, envelope in dry_run_requests(ep):
                print('<!-- %s %s  SOAPAction: "%s" -->' % (service, op, action))
                print(etree.tostring(envelope, pretty_print=True, encoding="unicode"))
                if validator is not None:
                    validator.check_envelope(service, op, "request", envelope)
            return 0, validator
        if args.fault_probe:
            return fault_probe(ep), validator
        operation = None
        try:
            walk(ep, summary)
        except zeep.exceptions.Fault as fault:
            # walk() records each call as it succeeds: the failed one is the
            # first of WALK_ORDER without a summary.
            out = {"fault": fault_as_json(in_flight(summary), fault, ep), "completed": summary}
            if validator is not None:
                out["validated"] = validator.validated
            print(json.dumps(out, indent=2))
            return 3, validator
    except Exception as err:  # anything but a SOAP fault: transport, WSDL, decoding
        where = operation or in_flight(summary)
        print("zeep_walk: %s: %s: %s" % (where, type(err).__name__, err), file=sys.stderr)
        return 1, validator
    if validator is not None:
        summary["validated"] = validator.validated
    print(json.dumps(summary, indent=2))
    return 0, validator


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
