using System.Globalization;

namespace LocationActors.Domain.Contacts;

/// <summary>
/// A contact's preference as Kamailio keeps it (<c>qvalue_t</c>): thousandths from 0 to 1000, or
/// <see cref="Unspecified"/> (-1) when the Contact carried no <c>q</c>. Unspecified sorts after every explicit value.
/// </summary>
public readonly record struct QValue : IComparable<QValue>
{
    public const int Max = 1000;

    private QValue(int thousandths) => Thousandths = thousandths;

    /// <summary>Kamailio's <c>Q_UNSPECIFIED</c>.</summary>
    public static QValue Unspecified { get; } = new(-1);

    /// <summary>0..1000, or -1 when unspecified.</summary>
    public int Thousandths { get; }

    public bool IsSpecified => Thousandths >= 0;

    public static QValue FromThousandths(int thousandths)
    {
        if (thousandths == -1)
            return Unspecified;
        ArgumentOutOfRangeException.ThrowIfNegative(thousandths);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(thousandths, Max);
        return new QValue(thousandths);
    }

    /// <summary>The <c>location.q</c> column: q/1000, or -1 for unspecified (Kamailio <c>q2double</c>).</summary>
    public double ToDbValue() => IsSpecified ? Thousandths / 1000.0 : -1.0;

    /// <summary>
    /// Reads the <c>location.q</c> column. The column is FLOAT(10,2), so values come back as the nearest float;
    /// rounding (where Kamailio's <c>double2q</c> truncates) keeps 0.7 as 700 rather than 699.
    /// </summary>
    public static QValue FromDbValue(double value)
    {
        if (value < 0)
            return Unspecified; // -1.00 is the only negative value writers produce
        var thousandths = (int)Math.Round(value * 1000.0, MidpointRounding.AwayFromZero);
        return new QValue(Math.Clamp(thousandths, 0, Max));
    }

    /// <summary>The <c>q</c> parameter as Kamailio prints it (<c>q2str</c>): "1", "0", "0.5", "0.25", "0.125"; empty when unspecified.</summary>
    public override string ToString()
    {
        if (!IsSpecified)
            return "";
        if (Thousandths >= Max)
            return "1";
        if (Thousandths == 0)
            return "0";
        return "0." + Thousandths.ToString("000", CultureInfo.InvariantCulture).TrimEnd('0');
    }

    /// <summary>Explicit values order by size; <see cref="Unspecified"/> is lowest, as in Kamailio's contact list.</summary>
    public int CompareTo(QValue other) => Thousandths.CompareTo(other.Thousandths);
}
