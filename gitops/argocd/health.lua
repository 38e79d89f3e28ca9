-- Argo CD health of Seer's four kinds (seer.dev DatasetGroup, Predictor, Solution, Campaign),
-- from the kstatus conditions the operator writes (operator/src/conditions.rs):
--   Ready       True when the resource does what its spec asks (it stays True while a
--               scheduled retrain trains or a Campaign rolls to a new version);
--   Reconciling True while the operator works toward the spec (validating, training,
--               rolling out, waiting on a dependency, retrying a transient error);
--   Stalled     True when nothing will happen until something changes (bad data, a failed
--               version of this spec, a missing Secret, an invalid schedule).
-- Mapping, in this order (kstatus' reading of these conditions, so Argo CD and Flux agree):
--   no status / conditions yet, or status.observedGeneration < metadata.generation -> Progressing
--   Stalled=True                                                                    -> Degraded
--   Reconciling=True (Ready True or not)                                            -> Progressing
--   Ready=True                                                                      -> Healthy
--   anything else                                                                   -> Progressing
-- One script for the four kinds (argocd-cm.yaml repeats it under each key); written for
-- gopher-lua (Lua 5.1), which Argo CD runs health scripts in, with only the base, table and
-- package libraries: no string.* or math.* here.
local hs = {}

local function condition(conditions, wanted)
  for _, c in ipairs(conditions) do
    if c.type == wanted then
      return c
    end
  end
  return nil
end

local function is_true(c)
  return c ~= nil and c.status == "True"
end

local function explain(c)
  if c == nil then
    return ""
  end
  local text = c.reason or ""
  if c.message ~= nil and c.message ~= "" then
    if text ~= "" then
      text = text .. ": "
    end
    text = text .. c.message
  end
  return text
end

-- What is served or trained now, for the Healthy and Progressing messages.
local function current(status)
  if obj.kind == "Campaign" and status.servingVersion ~= nil then
    return " (serving " .. status.servingVersion .. ")"
  end
  if (obj.kind == "Predictor" or obj.kind == "Solution") and status.latestVersion ~= nil then
    return " (latest version " .. status.latestVersion .. ")"
  end
  return ""
end

local status = obj.status
if status == nil or status.conditions == nil or #status.conditions == 0 then
  hs.status = "Progressing"
  hs.message = "Waiting for the Seer operator to report status"
  return hs
end

local generation = obj.metadata.generation
if generation ~= nil and (status.observedGeneration == nil or status.observedGeneration < generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for the Seer operator to observe generation " .. tostring(generation)
  return hs
end

local ready = condition(status.conditions, "Ready")
local reconciling = condition(status.conditions, "Reconciling")
local stalled = condition(status.conditions, "Stalled")

if is_true(stalled) then
  hs.status = "Degraded"
  hs.message = explain(stalled)
  return hs
end

if is_true(reconciling) then
  hs.status = "Progressing"
  if is_true(ready) then
    hs.message = "Ready" .. current(status) .. "; " .. explain(reconciling)
  else
    hs.message = explain(reconciling)
  end
  return hs
end

if is_true(ready) then
  hs.status = "Healthy"
  hs.message = explain(ready) .. current(status)
  return hs
end

hs.status = "Progressing"
if ready ~= nil then
  hs.message = explain(ready)
else
  hs.message = "Waiting for the Ready condition"
end
return hs
