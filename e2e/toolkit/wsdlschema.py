"""The XML Schema inside a WSDL, for xmllint: shared by check_contract.py and
zeep_walk.py --validate.

ASMX WSDLs keep their schemas inline, in <wsdl:types>; xmllint needs them as
.xsd files. extract_schemas() writes them out, and xmllint() validates one
body element against the result.
"""

import os
import subprocess

from lxml import etree

XS = "http://www.w3.org/2001/XMLSchema"
WSDL = "http://schemas.xmlsoap.org/wsdl/"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"


def extract_schemas(wsdl_path, out_dir):
    """Write each <s:schema> of the WSDL to its own .xsd, turning ASMX's bare
    <s:import namespace=.../> into an import with a schemaLocation. Returns
    the path of the schema of the service's target namespace."""
    doc = etree.parse(wsdl_path)
    tns = doc.getroot().get("targetNamespace")
    schemas = doc.getroot().findall("{%s}types/{%s}schema" % (WSDL, XS))
    stem = os.path.splitext(os.path.basename(wsdl_path))[0]
    paths = {s.get("targetNamespace"): os.path.join(out_dir, "%s-%d.xsd" % (stem, i)) for i, s in enumerate(schemas)}
    for schema in schemas:
        # tostring() keeps the namespace declarations inherited from
        # <wsdl:definitions>, which type="tns:..." attributes rely on.
        standalone = etree.fromstring(etree.tostring(schema))
        for imp in standalone.findall("{%s}import" % XS):
            imp.set("schemaLocation", os.path.basename(paths[imp.get("namespace")]))
        etree.ElementTree(standalone).write(paths[schema.get("targetNamespace")], xml_declaration=True, encoding="utf-8")
    return paths[tns]


def xmllint(schema, xml_bytes, tmp_dir):
    """Validate xml_bytes against schema; (ok, xmllint's stderr)."""
    instance = os.path.join(tmp_dir, "instance.xml")
    with open(instance, "wb") as f:
        f.write(xml_bytes)
    run = subprocess.run(["xmllint", "--noout", "--schema", schema, instance], capture_output=True, text=True)
    return run.returncode == 0, run.stderr.strip()
