package scenarios

import (
	"encoding/xml"
	"fmt"
	"strings"
)

// The fragments below are the XML *text* WSUS stores per revision and hands
// out verbatim: the Core fragment in UpdateInfo/Xml (SyncUpdates) and the
// Extended and LocalizedProperties fragments in UpdateData/Xml
// (GetExtendedUpdateInfo). As MS-WUSP §3.1.1.1 describes, they are not
// well-formed documents: several top-level elements, rule elements prefixed
// "b." instead of namespace-qualified (docs/protocol-facts.md §1.4). NewWorld renders
// them once; requests only copy string headers.

// Fragment types of GetExtendedUpdateInfo (MS-WUSP §2.2.2.2.6
// XmlUpdateFragmentType) that the mock serves.
const (
	FragmentCore                = "Core"
	FragmentExtended            = "Extended"
	FragmentLocalizedProperties = "LocalizedProperties"
)

const handlerBase = "http://schemas.microsoft.com/msus/2002/12/UpdateHandlers/"

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// coreFragment renders the Core fragment of r. ids maps revision IDs to the
// catalog, for the UpdateIDs of related revisions.
func coreFragment(r Revision, ids map[int]Revision) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<UpdateIdentity UpdateID="%s" RevisionNumber="%d" />`, r.UpdateID, r.RevisionNumber)
	fmt.Fprintf(&b, `<Properties UpdateType="%s" />`, r.UpdateType)
	if len(r.Prerequisites)+len(r.Categories)+len(r.BundledUpdates) > 0 {
		b.WriteString("<Relationships>")
		if len(r.Prerequisites)+len(r.Categories) > 0 {
			b.WriteString("<Prerequisites>")
			for _, id := range r.Prerequisites {
				fmt.Fprintf(&b, `<UpdateIdentity UpdateID="%s" />`, ids[id].UpdateID)
			}
			if len(r.Categories) > 0 {
				b.WriteString(`<AtLeastOne IsCategory="true">`)
				for _, id := range r.Categories {
					fmt.Fprintf(&b, `<UpdateIdentity UpdateID="%s" />`, ids[id].UpdateID)
				}
				b.WriteString("</AtLeastOne>")
			}
			b.WriteString("</Prerequisites>")
		}
		if len(r.BundledUpdates) > 0 {
			b.WriteString("<BundledUpdates>")
			for _, id := range r.BundledUpdates {
				fmt.Fprintf(&b, `<UpdateIdentity UpdateID="%s" RevisionNumber="%d" />`, ids[id].UpdateID, ids[id].RevisionNumber)
			}
			b.WriteString("</BundledUpdates>")
		}
		b.WriteString("</Relationships>")
	}
	installable := r.IsInstallableRule
	if installable == "" && r.UpdateType == TypeSoftware && len(r.BundledUpdates) == 0 {
		installable = "<b.True />"
	}
	if r.IsInstalledRule != "" || installable != "" {
		b.WriteString("<ApplicabilityRules>")
		if r.IsInstalledRule != "" {
			b.WriteString("<IsInstalled>" + r.IsInstalledRule + "</IsInstalled>")
		}
		if installable != "" {
			b.WriteString("<IsInstallable>" + installable + "</IsInstallable>")
		}
		b.WriteString("</ApplicabilityRules>")
	}
	return b.String()
}

// extendedFragment renders the Extended fragment of r.
func extendedFragment(r Revision) string {
	var b strings.Builder
	b.WriteString(`<ExtendedProperties DefaultPropertiesLanguage="en"`)
	if r.Handler != "" {
		b.WriteString(` Handler="` + esc(handlerBase+r.Handler) + `"`)
	}
	if r.MSRCSeverity != "" {
		b.WriteString(` MsrcSeverity="` + esc(r.MSRCSeverity) + `"`)
	}
	if r.SecurityBulletin == "" && r.KBArticle == "" {
		b.WriteString(" />")
		return b.String()
	}
	b.WriteString(">")
	if r.SecurityBulletin != "" {
		b.WriteString("<SecurityBulletinID>" + esc(r.SecurityBulletin) + "</SecurityBulletinID>")
	}
	if r.KBArticle != "" {
		b.WriteString("<KBArticleID>" + esc(r.KBArticle) + "</KBArticleID>")
	}
	b.WriteString("</ExtendedProperties>")
	return b.String()
}

// localizedFragment renders the English LocalizedProperties fragment of r.
func localizedFragment(r Revision) string {
	return "<LocalizedProperties><Language>en</Language><Title>" + esc(r.Title) +
		"</Title><Description>" + esc(r.Description) + "</Description></LocalizedProperties>"
}
