"""The server-side SVG charts: escaped, linked, sized for a phone."""

from kpis.charts import Bar, bar_chart, pareto_chart


def test_each_bar_links_to_its_records_with_its_figure():
    svg = bar_chart(
        [Bar("2026-03", 0.75, "75.0 %", "/service-requests/?a=1&b=2"), Bar("2026-04", None, "—")],
        title="On time",
    )
    assert svg.count("<a ") == 1  # no bar, no link, for a group with nothing counted
    assert 'href="/service-requests/?a=1&amp;b=2"' in svg
    assert "<title>2026-03: 75.0 %</title>" in svg
    assert "2026-04" in svg  # its label stays under its place
    # 100 % is the plot's full height (172 px), 75 % three quarters of it.
    assert 'height="129"' in svg
    assert 'style="min-width: 168px"' in svg  # margins + 40 px a bar


def test_text_is_escaped_and_long_labels_are_shortened():
    svg = bar_chart([Bar("<script>alert(1)</script>", 0.5, "50 %")], title='a "b" <c>')
    assert "<script>" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;: 50 %" in svg  # whole in the tooltip
    assert ">&lt;script…</text>" in svg  # short under the bar
    assert 'aria-label="a &quot;b&quot; &lt;c&gt;"' in svg


def test_pareto_draws_the_running_share_over_the_counts():
    svg = pareto_chart(
        [Bar("quality", 3, "3", "/q"), Bar("other", 1, "1", "/o")], [0.75, 1.0], title="Causes"
    )
    # Two slots of 276 px: points at their centres, 75 % and 100 % of the plot's height.
    assert '<polyline points="182,59 458,16"' in svg
    assert svg.count("<circle") == 2
    assert 'href="/q"' in svg and 'href="/o"' in svg


def test_an_empty_chart_is_still_a_picture():
    svg = pareto_chart([], [], title="Nothing")
    assert svg.startswith("<svg") and svg.endswith("</svg>") and "<polyline" not in svg
