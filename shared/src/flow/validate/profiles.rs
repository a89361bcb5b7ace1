//! `[[profiles]]`: custom profiles (name limit, unique names, an image avatar, a role).

use std::collections::BTreeMap;

use super::super::definition::ProfileFile;
use super::super::{FlowProblem, MediaCategory, Profile, ProfileRole};
use super::Checker;
use crate::twitter::limits::CustomProfileName;

/// Checks every profile; the valid ones are returned.
pub(super) fn check_profiles(c: &mut Checker, files: &[ProfileFile]) -> Vec<Profile> {
    let mut profiles: Vec<Profile> = Vec::new();
    let mut profile_names: BTreeMap<String, usize> = BTreeMap::new();
    for (i, p) in files.iter().enumerate() {
        let at = format!("profiles[{i}]");
        let name = match p.name.as_deref() {
            None => {
                c.problem(None, format!("{at}.name"), "is required");
                None
            }
            Some(n) => match CustomProfileName::new(n) {
                Ok(name) => {
                    if let Some(first) = profile_names.get(n) {
                        c.problem(
                            None,
                            format!("{at}.name"),
                            format!("{n:?} is already the name of profiles[{first}]"),
                        );
                        None
                    } else {
                        profile_names.insert(n.to_string(), i);
                        Some(name)
                    }
                }
                Err(e) => {
                    c.problems
                        .push(FlowProblem::from_limit(None, e.within(&at)));
                    None
                }
            },
        };
        let avatar = match p.avatar.as_deref() {
            None => {
                c.problem(
                    None,
                    format!("{at}.avatar"),
                    "is required: Twitter needs an avatar image for a custom profile",
                );
                None
            }
            Some(path) => c.media(None, &format!("{at}.avatar"), path).and_then(|m| {
                if m.category == MediaCategory::DmImage {
                    Some(m)
                } else {
                    c.problem(
                        None,
                        format!("{at}.avatar"),
                        format!("{path:?} must be an image (.png, .jpg, .jpeg or .webp)"),
                    );
                    None
                }
            }),
        };
        let role = match p.role.as_deref() {
            None | Some("bot") => Some(ProfileRole::Bot),
            Some("agent") => Some(ProfileRole::Agent),
            Some(other) => {
                c.problem(
                    None,
                    format!("{at}.role"),
                    format!("{other:?} must be \"bot\" or \"agent\""),
                );
                None
            }
        };
        if let (Some(name), Some(avatar), Some(role)) = (name, avatar, role) {
            profiles.push(Profile { name, avatar, role });
        }
    }
    profiles
}

/// The profile `name` (referenced at `field`) if `[[profiles]]` declares it.
pub(super) fn declared(
    c: &mut Checker,
    files: &[ProfileFile],
    node: Option<&str>,
    field: &str,
    name: &str,
) -> Option<CustomProfileName> {
    if files.iter().any(|p| p.name.as_deref() == Some(name)) {
        CustomProfileName::new(name).ok()
    } else {
        c.problem(
            node,
            field,
            format!("names profile {name:?}, which is not in [[profiles]]"),
        );
        None
    }
}
