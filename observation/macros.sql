-- Table macros every page's queries call, kept in DuckDB whatever holds the tables (a study file,
-- or PostgreSQL: then they live in DuckDB's in-memory catalog and read the attached tables).

-- The meetings a page's filter selects (observation.filters.StudyFilter.sql_params), with team
-- facts. A null argument means "no restriction".
create or replace macro filtered_meetings(team_ids, only_setting, date_from, date_to) as table
select f.*, t.name as team_name, t.setting
from meeting_facts as f
join teams as t on t.id = f.team_id
where (team_ids is null or list_contains(team_ids, f.team_id))
  and (only_setting is null or t.setting = only_setting)
  and (date_from is null or f.meeting_date >= date_from)
  and (date_to is null or f.meeting_date <= date_to);

-- The interview transcripts the same filter selects (by the interview's team, setting and date),
-- with team facts; an interview with no team has a null team_name and setting, and only a filter
-- with no team or setting keeps it.
create or replace macro filtered_interviews(team_ids, only_setting, date_from, date_to) as table
select i.*, t.name as team_name, t.setting
from interviews as i
left join teams as t on t.id = i.team_id
where (team_ids is null or list_contains(team_ids, i.team_id))
  and (only_setting is null or t.setting = only_setting)
  and (date_from is null or i.interview_date >= date_from)
  and (date_to is null or i.interview_date <= date_to);

-- For coder agreement: over the filtered notes that both coders coded, one row per note and per
-- code either of them applied to it, saying whether each coder did (observation/agreement.py). A code
-- neither applied to a note is a "neither" decision: agreement.py counts those without listing them.
create or replace macro coder_decisions(team_ids, only_setting, date_from, date_to, coder_a, coder_b) as table
with applied as (  -- grouped straight to a note and code: one pass, not a distinct and a count of coders after it
    select s.note_id, s.code_id, bool_or(s.coder = coder_a) as by_a, bool_or(s.coder = coder_b) as by_b
    from coded_segments as s
    join field_notes as n on n.id = s.note_id
    join filtered_meetings(team_ids, only_setting, date_from, date_to) as f on f.meeting_id = n.meeting_id
    where s.coder in (coder_a, coder_b) and coder_a <> coder_b
    group by s.note_id, s.code_id
),
double_coded as (
    select note_id from applied group by note_id having bool_or(by_a) and bool_or(by_b)
)
select note_id, code_id, by_a, by_b
from applied
semi join double_coded using (note_id);

-- Text cut at ``longest`` characters, saying how long it was (the Audit trail page shows an
-- import's list of created rows this way).
create or replace macro cut_text(t, longest) as
case when length(t) > longest then left(t, longest) || ' … (' || format('{:,}', length(t)) || ' characters in all)'
     else t end;
