//! The rule every change to where mail goes passes before it is saved: mail to an address
//! never comes back to it, never passes through more aliases and forwardings one after
//! another than Postfix follows, and is never sent on to more than [`OUTSIDE_MAX`] addresses
//! at other mail servers. One pass over what the checked addresses reach, linear in its size,
//! so that a paste of thousands of chained aliases is checked in milliseconds.

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use crate::words::grouped;

/// Aliases and forwardings one after another at which Postfix gives up on a message (its
/// `virtual_alias_recursion_limit`, 1000 by default) and defers it instead of delivering:
/// a route as long as this is refused.
pub const ROUTE_DEPTH_MAX: usize = 1000;

/// Addresses at other mail servers that mail to one address may be sent on to, through every
/// alias and forwarding it passes. Postfix would expand one message to up to 1,000 (its
/// `virtual_alias_expansion_limit`), each a copy the shared host sends out under the original
/// sender's name, which counts against the standing of every tenant's mail with the servers
/// that receive it. As many as one alias may list ([`super::TARGETS_MAX`]): no list is refused
/// for its own length, but aliases of aliases no longer multiply it.
pub const OUTSIDE_MAX: usize = super::TARGETS_MAX;

/// Addresses named at each end of a long chain; the hops between are counted instead.
const CHAIN_ENDS: usize = 5;

/// How often, in steps, the pass asks whether it may go on.
const STEPS_PER_ASK: usize = 4096;

/// Addresses mail passes through, in order. A long one keeps its first and last addresses and
/// counts those left out between them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    /// The first addresses (every one, when `skipped` is 0).
    pub head: Vec<String>,
    /// How many addresses are left out between `head` and `tail`.
    pub skipped: usize,
    /// The last addresses, when some are left out.
    pub tail: Vec<String>,
}

/// Why mail to an address would not be delivered if its targets were saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteProblem {
    /// Mail would come back to the address: the chain from it back to it.
    Loop(Chain),
    /// Mail would pass through `hops` aliases and forwardings one after another, at least
    /// [`ROUTE_DEPTH_MAX`]: the longest chain from the address.
    TooDeep {
        /// Aliases and forwardings passed, one after another.
        hops: usize,
        /// The chain, from the address to where it ends.
        chain: Chain,
    },
    /// Mail would be sent on to more than [`OUTSIDE_MAX`] addresses at other mail servers.
    TooWide,
}

/// The pass stopped because its caller's budget ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfBudget;

/// Checks where mail to each of `starts` would go through `graph` (the targets of every alias
/// and forwarding account that matters, those being checked included: an address not in it is
/// delivered as it is, at another mail server when `outside` says so), and returns each
/// start's problem, in the order of `starts`. An address
/// whose forwarding keeps a copy still passes mail on, so it counts as going on to its targets.
/// A start that only leads into a loop elsewhere is not refused for it: the loop's own
/// addresses are. `keep_going` is asked now and then, and the pass stops when it says no.
pub fn check_routes(
    graph: &HashMap<String, Vec<String>>,
    outside: impl Fn(&str) -> bool,
    starts: &[&str],
    keep_going: impl FnMut() -> bool,
) -> Result<Vec<Option<RouteProblem>>, OutOfBudget> {
    let mut pass = Pass::new(graph, outside, keep_going);
    // A start outside the graph delivers as it is.
    let ids: Vec<Option<usize>> = starts
        .iter()
        .map(|start| {
            let (address, _) = graph.get_key_value(*start)?;
            Some(pass.intern(address))
        })
        .collect();
    for &id in ids.iter().flatten() {
        pass.components_from(id)?;
    }
    pass.depths()?;
    let mut cycles: HashMap<usize, Cycle> = HashMap::new();
    let mut problems = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(id) = id else {
            problems.push(None);
            continue;
        };
        let component = pass.component[id];
        let problem = if pass.cyclic[component] {
            let cycle = match cycles.entry(component) {
                Entry::Occupied(known) => known.into_mut(),
                Entry::Vacant(first) => first.insert(pass.cycle_through(id)?),
            };
            let walk = pass.loop_from(id, cycle)?;
            Some(RouteProblem::Loop(pass.chain(&walk)))
        } else if pass.depth[id] >= ROUTE_DEPTH_MAX {
            Some(RouteProblem::TooDeep {
                hops: pass.depth[id],
                chain: pass.deepest_from(id)?,
            })
        } else if pass.outside[id].len() > OUTSIDE_MAX {
            Some(RouteProblem::TooWide)
        } else {
            None
        };
        problems.push(problem);
    }
    Ok(problems)
}

/// A problem as a sentence, naming only the addresses of `domain`: another domain's addresses
/// in a chain are shown as such, so that one domain's postmaster never learns another's.
pub fn describe_route(problem: &RouteProblem, domain: &str) -> String {
    match problem {
        RouteProblem::Loop(chain) => format!(
            "Mail would go round in a loop: {}. Remove one of these targets",
            describe_chain(chain, domain)
        ),
        RouteProblem::TooDeep { hops, chain } => format!(
            "Mail would pass through {} aliases and forwardings one after another ({}), and the mail server gives up at {}. Deliver to an address further along instead",
            grouped(*hops as u64),
            describe_chain(chain, domain),
            grouped(ROUTE_DEPTH_MAX as u64)
        ),
        RouteProblem::TooWide => format!(
            "Mail would be sent on to more than {OUTSIDE_MAX} addresses at other mail servers, through these targets and the aliases and forwardings they lead to, and one address may reach at most {OUTSIDE_MAX}. Send to fewer outside addresses, or to a mailing list kept at another server"
        ),
    }
}

fn describe_chain(chain: &Chain, domain: &str) -> String {
    let shown = |addresses: &[String]| -> Vec<String> {
        let mut shown: Vec<String> = Vec::with_capacity(addresses.len());
        for address in addresses {
            let ours = address
                .rsplit_once('@')
                .is_some_and(|(_, of)| of.eq_ignore_ascii_case(domain));
            let name = if ours {
                address.clone()
            } else {
                "an address of another domain".to_owned()
            };
            // Another domain's addresses one after another are one step of the sentence.
            if ours || shown.last() != Some(&name) {
                shown.push(name);
            }
        }
        shown
    };
    let mut parts = shown(&chain.head);
    if chain.skipped > 0 {
        parts.push(format!("{} more", grouped(chain.skipped as u64)));
        parts.extend(shown(&chain.tail));
    }
    parts.join(" \u{2192} ")
}

/// A cycle through a loop's first checked address: the addresses from it back to it, where
/// each of them is in it, and the way from it to every address of its component.
struct Cycle {
    walk: Vec<usize>,
    at: HashMap<usize, usize>,
    from_root: Parents,
}

const NONE: usize = usize::MAX;

/// The graph's addresses reached from the starts, numbered as they are met, with Tarjan's
/// strongly connected components, and the longest chain and the outside addresses from each.
struct Pass<'a, O, F> {
    graph: &'a HashMap<String, Vec<String>>,
    is_outside: O,
    keep_going: F,
    steps: usize,
    ids: HashMap<&'a str, usize>,
    names: Vec<&'a str>,
    next: Vec<Vec<usize>>,
    index: Vec<usize>,
    low: Vec<usize>,
    on_stack: Vec<bool>,
    stack: Vec<usize>,
    component: Vec<usize>,
    /// Whether mail can go round inside each component.
    cyclic: Vec<bool>,
    /// The addresses in the order their components were completed: a component's successors
    /// come before it.
    finished: Vec<usize>,
    depth: Vec<usize>,
    deeper: Vec<usize>,
    /// The outside addresses each address outside a loop reaches, at most one more than
    /// [`OUTSIDE_MAX`] of them: enough to tell that it is too many.
    outside: Vec<Vec<usize>>,
}

impl<'a, O: Fn(&str) -> bool, F: FnMut() -> bool> Pass<'a, O, F> {
    fn new(graph: &'a HashMap<String, Vec<String>>, is_outside: O, keep_going: F) -> Self {
        Pass {
            graph,
            is_outside,
            keep_going,
            steps: 0,
            ids: HashMap::new(),
            names: Vec::new(),
            next: Vec::new(),
            index: Vec::new(),
            low: Vec::new(),
            on_stack: Vec::new(),
            stack: Vec::new(),
            component: Vec::new(),
            cyclic: Vec::new(),
            finished: Vec::new(),
            depth: Vec::new(),
            deeper: Vec::new(),
            outside: Vec::new(),
        }
    }

    /// One step of work; `Err` once the budget is spent.
    fn step(&mut self) -> Result<(), OutOfBudget> {
        self.steps += 1;
        if self.steps.is_multiple_of(STEPS_PER_ASK) && !(self.keep_going)() {
            return Err(OutOfBudget);
        }
        Ok(())
    }

    /// The number of `address`, given it when it is first met; its targets are numbered when
    /// it is first visited.
    fn intern(&mut self, address: &'a str) -> usize {
        if let Some(&id) = self.ids.get(address) {
            return id;
        }
        let id = self.names.len();
        self.ids.insert(address, id);
        self.names.push(address);
        self.next.push(Vec::new());
        self.index.push(NONE);
        self.low.push(NONE);
        self.on_stack.push(false);
        self.component.push(NONE);
        self.depth.push(0);
        self.deeper.push(NONE);
        self.outside.push(Vec::new());
        id
    }

    fn expand(&mut self, id: usize) {
        let graph = self.graph;
        let Some(targets) = graph.get(self.names[id]) else {
            return;
        };
        let next: Vec<usize> = targets.iter().map(|target| self.intern(target)).collect();
        self.next[id] = next;
    }

    /// Tarjan's algorithm from `root`, without recursion: a chain of thousands of aliases
    /// would overflow the stack.
    fn components_from(&mut self, root: usize) -> Result<(), OutOfBudget> {
        if self.index[root] != NONE {
            return Ok(());
        }
        let mut calls: Vec<(usize, usize)> = vec![(root, 0)];
        self.open(root);
        while let Some(&mut (node, ref mut edge)) = calls.last_mut() {
            self.step()?;
            if let Some(&target) = self.next[node].get(*edge) {
                *edge += 1;
                if self.index[target] == NONE {
                    self.open(target);
                    calls.push((target, 0));
                } else if self.on_stack[target] {
                    self.low[node] = self.low[node].min(self.index[target]);
                }
                continue;
            }
            calls.pop();
            if let Some(&(parent, _)) = calls.last() {
                self.low[parent] = self.low[parent].min(self.low[node]);
            }
            if self.low[node] == self.index[node] {
                self.close(node);
            }
        }
        Ok(())
    }

    fn open(&mut self, node: usize) {
        let index = self.finished.len() + self.stack.len();
        self.index[node] = index;
        self.low[node] = index;
        self.on_stack[node] = true;
        self.stack.push(node);
        self.expand(node);
    }

    /// Pops the component whose first-met address is `root`.
    fn close(&mut self, root: usize) {
        let component = self.cyclic.len();
        let mut size = 0;
        while let Some(member) = self.stack.pop() {
            self.on_stack[member] = false;
            self.component[member] = component;
            self.finished.push(member);
            size += 1;
            if member == root {
                break;
            }
        }
        self.cyclic
            .push(size > 1 || self.next[root].contains(&root));
    }

    /// The longest chain from each address outside a loop, and the outside addresses it
    /// reaches, its successors done first.
    fn depths(&mut self) -> Result<(), OutOfBudget> {
        for at in 0..self.finished.len() {
            let node = self.finished[at];
            if self.cyclic[self.component[node]] {
                continue;
            }
            self.outside_from(node)?;
            let mut best = (0, NONE);
            for at_target in 0..self.next[node].len() {
                self.step()?;
                let target = self.next[node][at_target];
                if self.cyclic[self.component[target]] {
                    continue;
                }
                let depth = self.depth[target] + 1;
                if depth > best.0 {
                    best = (depth, target);
                }
            }
            (self.depth[node], self.deeper[node]) = best;
        }
        Ok(())
    }

    /// The outside addresses `node` reaches, from its targets' (done before it): itself, when
    /// it is delivered as it is at another mail server.
    fn outside_from(&mut self, node: usize) -> Result<(), OutOfBudget> {
        let name = self.names[node];
        if !self.graph.contains_key(name) {
            if (self.is_outside)(name) {
                self.outside[node] = vec![node];
            }
            return Ok(());
        }
        let mut reached: Vec<usize> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        'targets: for at_target in 0..self.next[node].len() {
            let target = self.next[node][at_target];
            if self.cyclic[self.component[target]] {
                continue;
            }
            for at_address in 0..self.outside[target].len() {
                self.step()?;
                let address = self.outside[target][at_address];
                if seen.insert(address) {
                    reached.push(address);
                    if reached.len() > OUTSIDE_MAX {
                        break 'targets;
                    }
                }
            }
        }
        self.outside[node] = reached;
        Ok(())
    }

    /// The shortest cycle through `root`, found breadth first inside its component.
    fn cycle_through(&mut self, root: usize) -> Result<Cycle, OutOfBudget> {
        let parents = self.breadth_first(root, None)?;
        let component = self.component[root];
        let mut walk = Vec::new();
        // The last address before `root` is the first one met, breadth first, that targets it.
        if let Some(last) = parents
            .order
            .iter()
            .copied()
            .find(|&node| self.next[node].contains(&root) && self.component[node] == component)
        {
            let mut node = last;
            while node != root {
                walk.push(node);
                node = parents.parent[&node];
            }
        }
        walk.push(root);
        walk.reverse();
        walk.push(root);
        let at = walk[..walk.len() - 1]
            .iter()
            .enumerate()
            .map(|(at, &node)| (node, at))
            .collect();
        Ok(Cycle {
            walk,
            at,
            from_root: parents,
        })
    }

    /// Where each address of `root`'s component is reached from, breadth first from `root`;
    /// only until `goal` when one is given.
    fn breadth_first(&mut self, root: usize, goal: Option<usize>) -> Result<Parents, OutOfBudget> {
        let component = self.component[root];
        let mut parent = HashMap::from([(root, root)]);
        let mut order = vec![root];
        let mut at = 0;
        while let Some(&node) = order.get(at) {
            at += 1;
            for at_target in 0..self.next[node].len() {
                self.step()?;
                let target = self.next[node][at_target];
                if self.component[target] == component && !parent.contains_key(&target) {
                    parent.insert(target, node);
                    order.push(target);
                    if goal == Some(target) {
                        return Ok(Parents { parent, order });
                    }
                }
            }
        }
        Ok(Parents { parent, order })
    }

    /// A loop from `start` back to it: along the component's cycle when `start` is on it, else
    /// from `start` to the cycle's first address and back, shortened to visit no address
    /// twice.
    fn loop_from(&mut self, start: usize, cycle: &Cycle) -> Result<Vec<usize>, OutOfBudget> {
        if let Some(&at) = cycle.at.get(&start) {
            let around = cycle.walk.len() - 1;
            return Ok((0..=around)
                .map(|step| cycle.walk[(at + step) % around])
                .collect());
        }
        let root = cycle.walk[0];
        let out = self.breadth_first(start, Some(root))?;
        let mut walk = path(&out.parent, start, root);
        walk.pop();
        walk.extend(path(&cycle.from_root.parent, root, start));
        Ok(simple(&walk))
    }

    /// The longest chain from `start`, through each address's deepest target.
    fn deepest_from(&mut self, start: usize) -> Result<Chain, OutOfBudget> {
        let mut walk = vec![start];
        let mut node = start;
        while self.deeper[node] != NONE {
            self.step()?;
            node = self.deeper[node];
            walk.push(node);
        }
        Ok(self.chain(&walk))
    }

    fn chain(&self, walk: &[usize]) -> Chain {
        let name = |node: &usize| self.names[*node].to_owned();
        if walk.len() <= 2 * CHAIN_ENDS + 1 {
            return Chain {
                head: walk.iter().map(name).collect(),
                skipped: 0,
                tail: Vec::new(),
            };
        }
        Chain {
            head: walk[..CHAIN_ENDS].iter().map(name).collect(),
            skipped: walk.len() - 2 * CHAIN_ENDS,
            tail: walk[walk.len() - CHAIN_ENDS..].iter().map(name).collect(),
        }
    }
}

/// Where a breadth-first search came to each address from, and the order it met them in.
struct Parents {
    parent: HashMap<usize, usize>,
    order: Vec<usize>,
}

/// The path from `from` to `to` in a breadth-first search from `from`.
fn path(parent: &HashMap<usize, usize>, from: usize, to: usize) -> Vec<usize> {
    let mut walk = vec![to];
    let mut node = to;
    while node != from {
        node = parent[&node];
        walk.push(node);
    }
    walk.reverse();
    walk
}

/// A walk from an address back to it, with every detour that comes back to an address it
/// already passed cut out.
fn simple(walk: &[usize]) -> Vec<usize> {
    let last: HashMap<usize, usize> = walk[..walk.len() - 1]
        .iter()
        .enumerate()
        .map(|(at, &node)| (node, at))
        .collect();
    let mut kept = vec![walk[0]];
    let mut at = 1;
    while at < walk.len() - 1 {
        let node = walk[at];
        kept.push(node);
        at = last[&node] + 1;
    }
    kept.push(walk[0]);
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[(&str, &[&str])]) -> HashMap<String, Vec<String>> {
        edges
            .iter()
            .map(|(from, to)| {
                let to = to.iter().map(|t| (*t).to_owned()).collect();
                ((*from).to_owned(), to)
            })
            .collect()
    }

    fn check(graph: &HashMap<String, Vec<String>>, starts: &[&str]) -> Vec<Option<RouteProblem>> {
        check_routes(
            graph,
            |address| !address.ends_with("@x.test"),
            starts,
            || true,
        )
        .unwrap()
    }

    fn described(problem: &Option<RouteProblem>) -> String {
        describe_route(problem.as_ref().expect("a problem"), "x.test")
    }

    #[test]
    fn a_loop_is_named_from_each_address_on_it() {
        let routes = graph(&[
            ("sales@x.test", &["team@x.test"]),
            ("team@x.test", &["jane@x.test", "sales@x.test"]),
            ("jane@x.test", &["out@y.test"]),
            ("other@x.test", &["team@x.test"]),
        ]);
        let found = check(&routes, &["sales@x.test", "team@x.test", "other@x.test"]);
        assert_eq!(
            described(&found[0]),
            "Mail would go round in a loop: sales@x.test \u{2192} team@x.test \u{2192} \
             sales@x.test. Remove one of these targets"
        );
        assert!(described(&found[1])
            .contains("team@x.test \u{2192} sales@x.test \u{2192} team@x.test."));
        assert_eq!(found[2], None, "other only leads into the loop");
        assert_eq!(
            check(&routes, &["jane@x.test", "nobody@x.test"]),
            [None, None]
        );
    }

    #[test]
    fn a_loop_through_a_detour_is_named_without_repeats() {
        // b is not on the shortest loop through a (a → c → a); its own loop is b → c → a → b.
        let routes = graph(&[
            ("a@x.test", &["c@x.test", "b@x.test"]),
            ("b@x.test", &["c@x.test"]),
            ("c@x.test", &["a@x.test"]),
        ]);
        let found = check(&routes, &["a@x.test", "b@x.test"]);
        let RouteProblem::Loop(chain) = found[1].clone().unwrap() else {
            panic!("{found:?}")
        };
        assert_eq!(chain.head, ["b@x.test", "c@x.test", "a@x.test", "b@x.test"]);
        let RouteProblem::Loop(chain) = found[0].clone().unwrap() else {
            panic!("{found:?}")
        };
        assert_eq!(chain.head, ["a@x.test", "c@x.test", "a@x.test"]);
    }

    /// A chain of `n` aliases `a1 → a2 → … → an → out@y.test`, and its addresses.
    fn chain_of(n: usize) -> (HashMap<String, Vec<String>>, Vec<String>) {
        let names: Vec<String> = (1..=n).map(|i| format!("a{i}@x.test")).collect();
        let mut routes = HashMap::new();
        for (i, name) in names.iter().enumerate() {
            let next = names.get(i + 1).cloned().unwrap_or("out@y.test".to_owned());
            routes.insert(name.clone(), vec![next]);
        }
        (routes, names)
    }

    #[test]
    fn a_chain_as_deep_as_postfix_follows_is_refused_and_one_shorter_is_not() {
        let (routes, names) = chain_of(ROUTE_DEPTH_MAX);
        let starts: Vec<&str> = names.iter().map(String::as_str).collect();
        let found = check(&routes, &starts);
        assert!(found[1..].iter().all(Option::is_none));
        assert_eq!(
            described(&found[0]),
            "Mail would pass through 1,000 aliases and forwardings one after another \
             (a1@x.test \u{2192} a2@x.test \u{2192} a3@x.test \u{2192} a4@x.test \u{2192} \
             a5@x.test \u{2192} 991 more \u{2192} a997@x.test \u{2192} a998@x.test \u{2192} \
             a999@x.test \u{2192} a1000@x.test \u{2192} an address of another domain), and the \
             mail server gives up at 1,000. Deliver to an address further along instead"
        );
    }

    #[test]
    fn a_chain_of_thousands_is_checked_in_one_pass() {
        let (mut routes, names) = chain_of(5_000);
        let starts: Vec<&str> = names.iter().map(String::as_str).collect();
        let found = check(&routes, &starts);
        let too_deep = found.iter().take_while(|problem| problem.is_some()).count();
        assert_eq!(too_deep, 5_000 - ROUTE_DEPTH_MAX + 1);
        assert!(found[too_deep..].iter().all(Option::is_none));
        // Closed into a loop, every address of it is refused for the loop, named.
        routes.insert("a5000@x.test".to_owned(), vec!["a1@x.test".to_owned()]);
        let found = check(&routes, &starts);
        assert!(found
            .iter()
            .all(|problem| matches!(problem, Some(RouteProblem::Loop(_)))));
        assert!(described(&found[41]).starts_with(
            "Mail would go round in a loop: a42@x.test \u{2192} a43@x.test \u{2192} a44@x.test \
             \u{2192} a45@x.test \u{2192} a46@x.test \u{2192} 4,991 more \u{2192} a38@x.test \
             \u{2192} a39@x.test \u{2192} a40@x.test \u{2192} a41@x.test \u{2192} a42@x.test."
        ));
    }

    #[test]
    fn another_domains_addresses_are_not_named() {
        let routes = graph(&[
            ("desk@x.test", &["a@other.test"]),
            ("a@other.test", &["b@other.test"]),
            ("b@other.test", &["desk@x.test"]),
        ]);
        assert_eq!(
            described(&check(&routes, &["desk@x.test"])[0]),
            "Mail would go round in a loop: desk@x.test \u{2192} an address of another domain \
             \u{2192} desk@x.test. Remove one of these targets"
        );
    }

    #[test]
    fn the_pass_stops_when_its_budget_is_spent() {
        let (routes, names) = chain_of(20_000);
        let mut asked = 0;
        let stopped = check_routes(
            &routes,
            |_| true,
            &[names[0].as_str()],
            || {
                asked += 1;
                asked < 2
            },
        );
        assert_eq!(stopped, Err(OutOfBudget));
        assert_eq!(asked, 2);
    }

    #[test]
    fn aliases_of_aliases_reach_at_most_fifty_outside_addresses() {
        let outside = |list: &str, n: usize| -> Vec<String> {
            (0..n).map(|i| format!("{list}{i}@y.test")).collect()
        };
        let mut routes = HashMap::new();
        routes.insert("a@x.test".to_owned(), outside("a", OUTSIDE_MAX));
        routes.insert("b@x.test".to_owned(), outside("b", 1));
        // Addresses of this server's domains and repeats are not counted.
        let mut both = vec![
            "a@x.test".to_owned(),
            "b@x.test".to_owned(),
            "a0@y.test".to_owned(),
        ];
        both.extend((0..100).map(|i| format!("staff{i}@x.test")));
        routes.insert("all@x.test".to_owned(), both);
        routes.insert(
            "some@x.test".to_owned(),
            vec!["a@x.test".to_owned(), "a1@y.test".to_owned()],
        );
        let found = check(&routes, &["a@x.test", "some@x.test", "all@x.test"]);
        assert_eq!(found[0], None, "one alias may list fifty");
        assert_eq!(found[1], None, "fifty, one of them twice");
        assert_eq!(
            found[2],
            Some(RouteProblem::TooWide),
            "fifty-one through two aliases"
        );
        assert_eq!(
            described(&found[2]),
            "Mail would be sent on to more than 50 addresses at other mail servers, through \
             these targets and the aliases and forwardings they lead to, and one address may \
             reach at most 50. Send to fewer outside addresses, or to a mailing list kept at \
             another server"
        );
    }
}
