//! The `fields` selector ("id,name,10"): the spec lists the allowed system field names only in
//! the parameter's description ("*Possible for system fields:* id, name, …"), so the list is read
//! from there. Numeric custom-field ids are allowed where the description mentions them.

use std::collections::BTreeSet;

const LIST_MARKER: &str = "Possible for system fields:";

#[derive(Debug)]
pub(super) struct FieldList {
    system: BTreeSet<String>,
    custom_field_ids: bool,
}

impl FieldList {
    /// `None` when the description lists no field names (then any selector is accepted).
    pub(super) fn from_description(description: &str) -> Option<Self> {
        let start = description.find(LIST_MARKER)? + LIST_MARKER.len();
        let system: BTreeSet<String> = description[start..]
            .split(',')
            .map(|name| name.trim_matches(|c: char| c.is_whitespace() || c == '*' || c == '.'))
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
            .collect();
        let custom_field_ids = description.contains("custom field identifiers");
        (!system.is_empty()).then_some(Self { system, custom_field_ids })
    }

    pub(super) fn check(&self, selector: &str) -> Result<(), String> {
        for name in selector.split(',').map(str::trim).filter(|name| !name.is_empty()) {
            let custom_id = !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit());
            if self.system.contains(name) || (self.custom_field_ids && custom_id) {
                continue;
            }
            let allowed: Vec<&str> = self.system.iter().map(String::as_str).collect();
            return Err(format!(
                "field '{name}' is not one the spec lists for this operation (allowed: {}{})",
                allowed.join(", "),
                if self.custom_field_ids { ", or a numeric custom field id" } else { "" }
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_list_and_checks_selectors() {
        let list = FieldList::from_description(
            "Fields returned - custom field identifiers, system field names, comma-delimited. \
             <br>*Possible for system fields:* id, name, status",
        )
        .expect("list");
        assert!(list.check("id,name, status,87").is_ok());
        assert!(list.check("id,statusId").is_err());
        assert!(FieldList::from_description("Fields returned - names, comma-delimited").is_none());

        let system_only =
            FieldList::from_description("system field names. *Possible for system fields:* id, owner").expect("list");
        assert!(system_only.check("87").is_err());
    }
}
